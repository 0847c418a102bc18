//! Reads an RM message from untrusted XML.
//!
//! Safety first: the text is bounded ([`MAX_MESSAGE_BYTES`]) before it is parsed; a document type declaration is
//! refused outright, so no entity is ever expanded ("billion laughs") and nothing external is fetched (XXE); the
//! parser stops at [`MAX_NODES`] nodes, and nesting deeper than [`MAX_DEPTH`] is refused before any recursive
//! walk. Then the message is checked against the content model of its type in the 1.0 schemas, element by
//! element in schema order, and the first element that is wrong, missing or out of place is named by its path
//! (`RequestResource/ResourceInformation[2]/AssignmentInformation/Quantity`).
//!
//! The parts this server does not interpret (`TypeInfo`'s free content, `Funding`, `MessageRecall`, `Radio`,
//! addresses and areas) are checked for their place in the sequence but not for their inner structure.

use chrono::{DateTime, Utc};
use roxmltree::{Document, Node, ParsingOptions};

use super::message::{Contact, IncidentInfo, Message, Resource, ResourceInfo, ResponseInfo, Schedule, TypeInfo};
use super::{
    EdxlRmMessage, MAX_DEPTH, MAX_MESSAGE_BYTES, MAX_NODES, MAX_RESOURCE_INFORMATION, NS_DE, NS_MSG, NS_RM,
    NS_TYPE_INFO, NS_XNL, NS_XPIL,
};
use crate::error::{AppError, AppResult};

/// Longest text accepted in one element.
const MAX_TEXT: usize = 4000;

fn refuse(path: &str, message: impl std::fmt::Display) -> AppError {
    AppError::bad_input("xml", format!("{path}: {message}"))
}

/// Parses and checks a message (bare, or inside an EDXL-DE `EDXLDistribution`).
pub fn parse(xml: &str) -> AppResult<Message> {
    if xml.len() > MAX_MESSAGE_BYTES {
        return Err(AppError::bad_input(
            "xml",
            format!("the message is {} bytes; at most {MAX_MESSAGE_BYTES} are accepted", xml.len()),
        ));
    }
    let options = ParsingOptions { allow_dtd: false, nodes_limit: MAX_NODES, ..ParsingOptions::default() };
    let doc = Document::parse_with_options(xml, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => AppError::bad_input(
            "xml",
            "the message has a document type declaration (DTD); DTDs and entity declarations are not accepted",
        ),
        roxmltree::Error::NodesLimitReached => {
            AppError::bad_input("xml", format!("the message has more than {MAX_NODES} XML nodes"))
        }
        e => AppError::bad_input("xml", format!("the message is not well-formed XML: {e}")),
    })?;
    let root = doc.root_element();
    check_depth(root, 1)?;
    let message = if root.tag_name().namespace() == Some(NS_DE) && root.tag_name().name() == "EDXLDistribution" {
        unwrap_distribution(root)?
    } else {
        root
    };
    read_message(message)
}

/// Refuses nesting deeper than [`MAX_DEPTH`]; the recursion itself stops there.
fn check_depth(node: Node, depth: usize) -> AppResult<()> {
    if depth > MAX_DEPTH {
        return Err(AppError::bad_input("xml", format!("elements are nested more than {MAX_DEPTH} deep")));
    }
    for child in node.children().filter(Node::is_element) {
        check_depth(child, depth + 1)?;
    }
    Ok(())
}

/// The RM message embedded in an EDXL-DE envelope (`contentObject/xmlContent/embeddedXMLContent`).
fn unwrap_distribution<'a, 'i>(root: Node<'a, 'i>) -> AppResult<Node<'a, 'i>> {
    let embedded: Vec<Node> = root
        .children()
        .filter(|n| n.has_tag_name((NS_DE, "contentObject")))
        .flat_map(|c| c.children().filter(|n| n.has_tag_name((NS_DE, "xmlContent"))))
        .flat_map(|x| x.children().filter(|n| n.has_tag_name((NS_DE, "embeddedXMLContent"))))
        .flat_map(|e| e.children().filter(Node::is_element))
        .filter(|n| n.tag_name().namespace() == Some(NS_MSG))
        .collect();
    match embedded.as_slice() {
        [one] => Ok(*one),
        [] => Err(refuse("EDXLDistribution", "no EDXL-RM message in contentObject/xmlContent/embeddedXMLContent")),
        _ => Err(refuse("EDXLDistribution", "more than one EDXL-RM message; send one per distribution")),
    }
}

/// A cursor over an element's child elements, in order, that checks the schema sequence as it is consumed.
struct Seq<'a, 'i> {
    path: String,
    items: Vec<Node<'a, 'i>>,
    at: usize,
}

impl<'a, 'i> Seq<'a, 'i> {
    fn of(node: Node<'a, 'i>, path: &str) -> AppResult<Self> {
        let mut items = Vec::new();
        for child in node.children() {
            if child.is_element() {
                items.push(child);
            } else if child.is_text() && !child.text().unwrap_or_default().trim().is_empty() {
                return Err(refuse(path, "text is not allowed between elements here"));
            }
        }
        Ok(Seq { path: path.to_owned(), items, at: 0 })
    }

    fn peek_is(&self, ns: &str, name: &str) -> bool {
        self.items.get(self.at).is_some_and(|n| n.has_tag_name((ns, name)))
    }

    fn opt(&mut self, ns: &str, name: &str) -> Option<(Node<'a, 'i>, String)> {
        if self.peek_is(ns, name) {
            self.at += 1;
            Some((self.items[self.at - 1], format!("{}/{name}", self.path)))
        } else {
            None
        }
    }

    fn req(&mut self, ns: &str, name: &str) -> AppResult<(Node<'a, 'i>, String)> {
        self.opt(ns, name).ok_or_else(|| match self.items.get(self.at) {
            Some(found) => refuse(
                &format!("{}/{}", self.path, found.tag_name().name()),
                format!("expected {name} ({ns}) here; {}", describe(found)),
            ),
            None => refuse(&self.path, format!("{name} is required and missing")),
        })
    }

    fn many(&mut self, ns: &str, name: &str, max: usize) -> AppResult<Vec<(Node<'a, 'i>, String)>> {
        let mut found = Vec::new();
        while self.peek_is(ns, name) {
            if found.len() == max {
                return Err(refuse(&self.path, format!("at most {max} {name} elements are accepted")));
            }
            let node = self.items[self.at];
            self.at += 1;
            found.push((node, format!("{}/{name}[{}]", self.path, found.len() + 1)));
        }
        Ok(found)
    }

    fn end(&self) -> AppResult<()> {
        match self.items.get(self.at) {
            None => Ok(()),
            Some(extra) => Err(refuse(
                &format!("{}/{}", self.path, extra.tag_name().name()),
                format!("unexpected element here; {}", describe(extra)),
            )),
        }
    }
}

fn describe(node: &Node) -> String {
    match node.tag_name().namespace() {
        Some(ns) => format!("found {} in namespace {ns}", node.tag_name().name()),
        None => format!("found {} in no namespace", node.tag_name().name()),
    }
}

/// The text of a simple element: no child elements, not empty, bounded.
fn text(node: Node, path: &str) -> AppResult<String> {
    if node.children().any(|c| c.is_element()) {
        return Err(refuse(path, "a text value was expected, not elements"));
    }
    let value: String = node.children().filter_map(|c| c.text()).collect();
    let value = value.trim();
    if value.is_empty() {
        return Err(refuse(path, "must not be empty"));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(refuse(path, format!("must be at most {MAX_TEXT} characters")));
    }
    if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(refuse(path, "contains a control character"));
    }
    Ok(value.to_owned())
}

fn opt_text(seq: &mut Seq, ns: &str, name: &str) -> AppResult<Option<String>> {
    seq.opt(ns, name).map(|(n, p)| text(n, &p)).transpose()
}

fn req_text(seq: &mut Seq, ns: &str, name: &str) -> AppResult<String> {
    let (n, p) = seq.req(ns, name)?;
    text(n, &p)
}

fn date_time(value: &str, path: &str) -> AppResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value).map(|t| t.with_timezone(&Utc)).map_err(|_| {
        refuse(
            path,
            format!("{value:?} is not a date and time with its offset (xsd:dateTime, such as 2026-11-18T14:30:00Z)"),
        )
    })
}

fn one_of(value: String, allowed: &[&str], path: &str) -> AppResult<String> {
    if allowed.contains(&value.as_str()) {
        Ok(value)
    } else {
        Err(refuse(path, format!("{value:?} is not one of {}", allowed.join(", "))))
    }
}

/// `ValueListURN` and the first `Value` of a value list.
fn value_list(node: Node, path: &str) -> AppResult<(String, String)> {
    let mut seq = Seq::of(node, path)?;
    let urn = req_text(&mut seq, NS_RM, "ValueListURN")?;
    let values = seq.many(NS_RM, "Value", 64)?;
    let Some((first, first_path)) = values.first() else {
        return Err(refuse(path, "Value is required and missing"));
    };
    let value = text(*first, first_path)?;
    for (n, p) in &values[1..] {
        text(*n, p)?;
    }
    seq.end()?;
    Ok((urn, value))
}

fn read_message(root: Node) -> AppResult<Message> {
    let name = root.tag_name().name();
    if root.tag_name().namespace() != Some(NS_MSG) {
        return Err(refuse(name, format!("{}; an EDXL-RM 1.0 message is in namespace {NS_MSG}", describe(&root))));
    }
    let kind = EdxlRmMessage::from_element(name).ok_or_else(|| {
        refuse(
            name,
            format!(
                "{name} is not a message type this server reads; it reads {}",
                EdxlRmMessage::ALL.map(EdxlRmMessage::element).join(", ")
            ),
        )
    })?;
    let mut seq = Seq::of(root, name)?;
    let message_id = req_text(&mut seq, NS_MSG, "MessageID")?;
    if message_id.chars().count() > 256 {
        return Err(refuse(&format!("{name}/MessageID"), "must be at most 256 characters"));
    }
    let (n, p) = seq.req(NS_MSG, "SentDateTime")?;
    let sent_at = date_time(&text(n, &p)?, &p)?;
    let (n, p) = seq.req(NS_MSG, "MessageContentType")?;
    one_of(text(n, &p)?, &[name], &p)?;
    let description = opt_text(&mut seq, NS_MSG, "MessageDescription")?;
    let originating_message_id = req_text(&mut seq, NS_MSG, "OriginatingMessageID")?;
    let preceding_message_id = if kind == EdxlRmMessage::RequestResource {
        None
    } else if kind.response_information() == Some(true) {
        Some(req_text(&mut seq, NS_MSG, "PrecedingMessageID")?)
    } else {
        opt_text(&mut seq, NS_MSG, "PrecedingMessageID")?
    };
    let mut incidents = Vec::new();
    for (n, p) in seq.many(NS_MSG, "IncidentInformation", 16)? {
        let mut inner = Seq::of(n, &p)?;
        let id = opt_text(&mut inner, NS_RM, "IncidentID")?;
        let description = opt_text(&mut inner, NS_RM, "IncidentDescription")?;
        inner.end()?;
        incidents.push(IncidentInfo { id, description });
    }
    seq.opt(NS_MSG, "MessageRecall");
    seq.many(NS_MSG, "Funding", 16)?;
    let mut contacts = Vec::new();
    for (n, p) in seq.many(NS_MSG, "ContactInformation", 32)? {
        contacts.push(contact(n, &p)?);
    }
    if contacts.is_empty() {
        seq.req(NS_MSG, "ContactInformation")?;
    }
    let mut resources = Vec::new();
    for (n, p) in seq.many(NS_MSG, "ResourceInformation", MAX_RESOURCE_INFORMATION)? {
        resources.push(resource_information(kind, n, &p)?);
    }
    if resources.is_empty() {
        seq.req(NS_MSG, "ResourceInformation")?;
    }
    seq.end()?;
    Ok(Message {
        kind,
        message_id,
        sent_at,
        description,
        originating_message_id,
        preceding_message_id,
        incidents,
        contacts,
        resources,
    })
}

const CONTACT_ROLES: &[&str] = &["Sender", "Requester", "SubjectMatterExpert", "Approver", "RespondingOrg", "Owner"];

fn contact(node: Node, path: &str) -> AppResult<Contact> {
    let mut seq = Seq::of(node, path)?;
    let description = opt_text(&mut seq, NS_RM, "ContactDescription")?;
    let role = seq
        .opt(NS_RM, "ContactRole")
        .map(|(n, p)| text(n, &p).and_then(|t| one_of(t, CONTACT_ROLES, &p)))
        .transpose()?;
    seq.opt(NS_RM, "Radio");
    seq.opt(NS_RM, "ContactLocation");
    let mut person = Contact { role, description, name: None, phone: None, email: None };
    if let Some((party, _)) = seq.opt(NS_RM, "AdditionalContactInformation") {
        person.name = descendant_text(party, NS_XNL, "NameElement");
        person.phone = descendant_text(party, NS_XPIL, "ContactNumberElement");
        person.email = descendant_text(party, NS_XPIL, "ElectronicAddressIdentifier");
    }
    seq.end()?;
    Ok(person)
}

fn resource_information(kind: EdxlRmMessage, node: Node, path: &str) -> AppResult<ResourceInfo> {
    let mut seq = Seq::of(node, path)?;
    let element_id = req_text(&mut seq, NS_MSG, "ResourceInfoElementID")?;
    let response = match kind.response_information() {
        None => None,
        Some(required) => {
            let found = if required {
                Some(seq.req(NS_MSG, "ResponseInformation")?)
            } else {
                seq.opt(NS_MSG, "ResponseInformation")
            };
            found.map(|(n, p)| response_information(n, &p)).transpose()?
        }
    };
    let resource_required = matches!(
        kind,
        EdxlRmMessage::RequestResource
            | EdxlRmMessage::ReleaseResource
            | EdxlRmMessage::RequestReturn
            | EdxlRmMessage::RequestExtendedDeploymentDuration
    );
    let found = if resource_required { Some(seq.req(NS_MSG, "Resource")?) } else { seq.opt(NS_MSG, "Resource") };
    let resource = found.map(|(n, p)| resource(kind, n, &p)).transpose()?.unwrap_or_default();
    let mut quantity = None;
    let mut anticipated_function = None;
    let mut order_id = None;
    let quantity_required = matches!(kind, EdxlRmMessage::CommitResource | EdxlRmMessage::ReleaseResource);
    if let Some((n, p)) = seq.opt(NS_MSG, "AssignmentInformation") {
        let mut inner = Seq::of(n, &p)?;
        let found =
            if quantity_required { Some(inner.req(NS_MSG, "Quantity")?) } else { inner.opt(NS_MSG, "Quantity") };
        quantity = found.map(|(n, p)| amount(n, &p)).transpose()?;
        opt_text(&mut inner, NS_MSG, "Restrictions")?;
        anticipated_function = opt_text(&mut inner, NS_MSG, "AnticipatedFunction")?;
        inner.opt(NS_MSG, "PriceQuote");
        if !matches!(kind, EdxlRmMessage::RequestResource | EdxlRmMessage::ResponseToRequestResource) {
            order_id = opt_text(&mut inner, NS_MSG, "OrderID")?;
        }
        if kind != EdxlRmMessage::RequestExtendedDeploymentDuration {
            inner.opt(NS_MSG, "AssignmentInstructions");
        }
        inner.end()?;
    } else if quantity_required {
        seq.req(NS_MSG, "AssignmentInformation")?;
    }
    let mut schedule = Vec::new();
    for (n, p) in seq.many(NS_MSG, "ScheduleInformation", 32)? {
        let mut inner = Seq::of(n, &p)?;
        let (k, kp) = inner.req(NS_MSG, "ScheduleType")?;
        let schedule_kind = one_of(text(k, &kp)?, kind.schedule_types(), &kp)?;
        let at = inner.opt(NS_MSG, "DateTime").map(|(n, p)| text(n, &p).and_then(|t| date_time(&t, &p))).transpose()?;
        let location = match inner.opt(NS_MSG, "Location") {
            Some((l, lp)) => {
                let mut place = Seq::of(l, &lp)?;
                let description = opt_text(&mut place, NS_RM, "LocationDescription")?;
                let address = place.opt(NS_RM, "Address");
                let area = place.opt(NS_RM, "TargetArea");
                place.end()?;
                if description.is_none() && address.is_none() && area.is_none() {
                    return Err(refuse(&lp, "one of LocationDescription, Address and TargetArea is required"));
                }
                description
            }
            None => None,
        };
        inner.end()?;
        schedule.push(Schedule { kind: schedule_kind, at, location });
    }
    seq.end()?;
    Ok(ResourceInfo { element_id, response, resource, quantity, anticipated_function, order_id, schedule })
}

fn response_information(node: Node, path: &str) -> AppResult<ResponseInfo> {
    let mut seq = Seq::of(node, path)?;
    let preceding_element_id = req_text(&mut seq, NS_RM, "PrecedingResourceInfoElementID")?;
    let (n, p) = seq.req(NS_RM, "ResponseType")?;
    let response_type = one_of(text(n, &p)?, &["Accept", "Decline", "Provisional"], &p)?;
    let code = seq.opt(NS_RM, "ReasonCode").map(|(n, p)| value_list(n, &p)).transpose()?;
    let reason = opt_text(&mut seq, NS_RM, "ResponseReason")?;
    seq.end()?;
    if response_type == "Provisional" && code.is_none() && reason.is_none() {
        return Err(refuse(path, "a Provisional response needs a ReasonCode or a ResponseReason"));
    }
    Ok(ResponseInfo { preceding_element_id, response_type, reason: reason.or(code.map(|(_, v)| v)) })
}

fn resource(kind: EdxlRmMessage, node: Node, path: &str) -> AppResult<Resource> {
    let mut seq = Seq::of(node, path)?;
    opt_text(&mut seq, NS_MSG, "ResourceID")?;
    let name = opt_text(&mut seq, NS_MSG, "Name")?;
    let type_structure = seq.opt(NS_MSG, "TypeStructure").map(|(n, p)| value_list(n, &p)).transpose()?;
    let type_info = seq.opt(NS_MSG, "TypeInfo").map(|(n, _)| type_info(n));
    for (n, p) in seq.many(NS_MSG, "Keyword", 32)? {
        value_list(n, &p)?;
    }
    let description = opt_text(&mut seq, NS_MSG, "Description")?;
    opt_text(&mut seq, NS_MSG, "Credentials")?;
    opt_text(&mut seq, NS_MSG, "Certifications")?;
    opt_text(&mut seq, NS_MSG, "SpecialRequirements")?;
    let mut resource = Resource { name, type_structure, type_info, description, ..Resource::default() };
    if kind != EdxlRmMessage::RequestResource {
        resource.responsible_party = seq.opt(NS_MSG, "ResponsibleParty").map(|(n, p)| contact(n, &p)).transpose()?;
        if let Some((n, p)) = seq.opt(NS_MSG, "OwnershipInformation") {
            let mut inner = Seq::of(n, &p)?;
            let owner = opt_text(&mut inner, NS_RM, "Owner")?;
            let owning = opt_text(&mut inner, NS_RM, "OwningJurisdiction")?;
            opt_text(&mut inner, NS_RM, "HomeDispatch")?;
            opt_text(&mut inner, NS_RM, "HomeUnit")?;
            inner.end()?;
            resource.owning_jurisdiction = owning.or(owner);
        }
        seq.opt(NS_MSG, "ResourceStatus");
    }
    seq.end()?;
    if resource.name.is_none()
        && resource.type_structure.is_none()
        && !node.children().any(|c| c.has_tag_name((NS_MSG, "ResourceID")))
    {
        return Err(refuse(path, "one of ResourceID, Name and TypeStructure is required"));
    }
    Ok(resource)
}

/// The trimmed text of the first element `ns:name` inside `node` (parts whose inner structure is not checked).
fn descendant_text(node: Node, ns: &str, name: &str) -> Option<String> {
    node.descendants().find(|n| n.has_tag_name((ns, name))).and_then(|n| n.text()).map(|t| t.trim().to_owned())
}

fn type_info(node: Node) -> TypeInfo {
    let find = |name: &str| descendant_text(node, NS_TYPE_INFO, name).filter(|t| !t.is_empty() && t.len() <= 200);
    TypeInfo {
        id: find("ID"),
        category: find("Category"),
        kind: find("Kind"),
        type_level: find("TypeLevel").and_then(|t| t.parse().ok()),
        rtlt_id: find("RTLTID"),
    }
}

/// A quantity as a number: `MeasuredQuantity/Amount`, or a `QuantityText` that is a number.
fn amount(node: Node, path: &str) -> AppResult<f64> {
    let mut seq = Seq::of(node, path)?;
    let value = if let Some((m, mp)) = seq.opt(NS_RM, "MeasuredQuantity") {
        let mut inner = Seq::of(m, &mp)?;
        let (a, ap) = inner.req(NS_RM, "Amount")?;
        let text = text(a, &ap)?;
        if let Some((u, up)) = inner.opt(NS_RM, "UnitOfMeasure") {
            value_list(u, &up)?;
        }
        inner.end()?;
        text.parse::<f64>().map_err(|_| refuse(&ap, format!("{text:?} is not a number")))?
    } else {
        let texts = seq.many(NS_RM, "QuantityText", 8)?;
        let Some((t, tp)) = texts.first() else {
            return Err(refuse(path, "MeasuredQuantity or QuantityText is required"));
        };
        let text = text(*t, tp)?;
        text.parse::<f64>().map_err(|_| refuse(tp, format!("{text:?} is not a number of resources")))?
    };
    seq.end()?;
    if !value.is_finite() || value < 0.0 {
        return Err(refuse(path, "the quantity must be a finite number, not negative"));
    }
    Ok(value)
}

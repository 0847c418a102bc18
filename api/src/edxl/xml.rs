//! Writes a [`Message`] as XML valid against the EDXL-RM 1.0 schema of its type: elements in schema order, in
//! the message namespace (`rmsg`) or the common-types namespace (`rm`) as the schema declares them, optional
//! parts left out where the message type has no place for them, and schedule entries limited to the types the
//! message allows.

use chrono::{DateTime, SecondsFormat, Utc};

use super::message::{Contact, Message, ResourceInfo};
use super::{EdxlRmMessage, NS_MSG, NS_RM, NS_TYPE_INFO, NS_XNL, NS_XPIL, UNIT_URN};

struct Writer {
    out: String,
    open: Vec<String>,
}

impl Writer {
    fn open(&mut self, name: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(">\n");
        self.open.push(name.to_owned());
    }

    fn close(&mut self) {
        let name = self.open.pop().unwrap_or_default();
        self.indent();
        self.out.push_str("</");
        self.out.push_str(&name);
        self.out.push_str(">\n");
    }

    fn leaf(&mut self, name: &str, text: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        escape_into(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    fn leaf_opt(&mut self, name: &str, text: Option<&str>) {
        if let Some(text) = text {
            self.leaf(name, text);
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.open.len() {
            self.out.push_str("  ");
        }
    }

    fn value_list(&mut self, name: &str, urn: &str, value: &str) {
        self.open(name);
        self.leaf("rm:ValueListURN", urn);
        self.leaf("rm:Value", value);
        self.close();
    }
}

/// Escapes text for element content, dropping the characters XML 1.0 cannot carry.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The message as an XML document.
pub fn to_xml(message: &Message) -> String {
    let kind = message.kind;
    let root = format!("rmsg:{}", kind.element());
    let mut w = Writer { out: String::with_capacity(4096), open: Vec::new() };
    w.out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    w.out.push_str(&format!(
        "<{root} xmlns:rmsg=\"{NS_MSG}\" xmlns:rm=\"{NS_RM}\" xmlns:xpil=\"{NS_XPIL}\" xmlns:xnl=\"{NS_XNL}\">\n"
    ));
    w.open.push(root);
    w.leaf("rmsg:MessageID", &message.message_id);
    w.leaf("rmsg:SentDateTime", &timestamp(message.sent_at));
    w.leaf("rmsg:MessageContentType", kind.element());
    w.leaf_opt("rmsg:MessageDescription", message.description.as_deref());
    w.leaf("rmsg:OriginatingMessageID", &message.originating_message_id);
    if kind != EdxlRmMessage::RequestResource {
        w.leaf_opt("rmsg:PrecedingMessageID", message.preceding_message_id.as_deref());
    }
    for incident in &message.incidents {
        if incident.id.is_none() && incident.description.is_none() {
            continue;
        }
        w.open("rmsg:IncidentInformation");
        w.leaf_opt("rm:IncidentID", incident.id.as_deref());
        w.leaf_opt("rm:IncidentDescription", incident.description.as_deref());
        w.close();
    }
    for contact in &message.contacts {
        w.open("rmsg:ContactInformation");
        contact_body(&mut w, contact);
        w.close();
    }
    for info in &message.resources {
        resource_information(&mut w, kind, info);
    }
    w.close();
    w.out
}

fn contact_body(w: &mut Writer, contact: &Contact) {
    w.leaf_opt("rm:ContactDescription", contact.description.as_deref());
    w.leaf_opt("rm:ContactRole", contact.role.as_deref());
    if contact.name.is_none() && contact.phone.is_none() && contact.email.is_none() {
        return;
    }
    w.open("rm:AdditionalContactInformation");
    if let Some(name) = &contact.name {
        w.open("xpil:PartyName");
        w.open("xnl:PersonName");
        w.leaf("xnl:NameElement", name);
        w.close();
        w.close();
    }
    if let Some(phone) = &contact.phone {
        w.open("xpil:ContactNumbers");
        w.open("xpil:ContactNumber");
        w.leaf("xpil:ContactNumberElement", phone);
        w.close();
        w.close();
    }
    if let Some(email) = &contact.email {
        w.open("xpil:ElectronicAddressIdentifiers");
        w.leaf("xpil:ElectronicAddressIdentifier", email);
        w.close();
    }
    w.close();
}

fn resource_information(w: &mut Writer, kind: EdxlRmMessage, info: &ResourceInfo) {
    use EdxlRmMessage as K;
    w.open("rmsg:ResourceInformation");
    w.leaf("rmsg:ResourceInfoElementID", &info.element_id);
    if kind.response_information().is_some()
        && let Some(response) = &info.response
    {
        w.open("rmsg:ResponseInformation");
        w.leaf("rm:PrecedingResourceInfoElementID", &response.preceding_element_id);
        w.leaf("rm:ResponseType", &response.response_type);
        w.leaf_opt("rm:ResponseReason", response.reason.as_deref());
        w.close();
    }
    let r = &info.resource;
    w.open("rmsg:Resource");
    w.leaf_opt("rmsg:Name", r.name.as_deref());
    if let Some((urn, value)) = &r.type_structure {
        w.value_list("rmsg:TypeStructure", urn, value);
    }
    if let Some(t) = &r.type_info {
        w.indent();
        w.out.push_str("<rmsg:TypeInfo>");
        w.out.push_str(&format!("<ti:ResourceType xmlns:ti=\"{NS_TYPE_INFO}\">"));
        let mut part = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                w.out.push_str(&format!("<ti:{name}>"));
                escape_into(&mut w.out, &value);
                w.out.push_str(&format!("</ti:{name}>"));
            }
        };
        part("ID", t.id.clone());
        part("Category", t.category.clone());
        part("Kind", t.kind.clone());
        part("TypeLevel", t.type_level.map(|l| l.to_string()));
        part("RTLTID", t.rtlt_id.clone());
        w.out.push_str("</ti:ResourceType></rmsg:TypeInfo>\n");
    }
    w.leaf_opt("rmsg:Description", r.description.as_deref());
    if kind != K::RequestResource {
        if let Some(party) = &r.responsible_party {
            w.open("rmsg:ResponsibleParty");
            contact_body(w, party);
            w.close();
        }
        if let Some(owner) = &r.owning_jurisdiction {
            w.open("rmsg:OwnershipInformation");
            w.leaf("rm:Owner", owner);
            w.leaf("rm:OwningJurisdiction", owner);
            w.close();
        }
        if let Some(status) = &r.status {
            let refreshed =
                matches!(kind, K::ResponseToRequestResource | K::CommitResource | K::ReportResourceDeploymentStatus);
            let availability = kind != K::CommitResource;
            let refreshed_at = status.refreshed_at.filter(|_| refreshed);
            let availability_text = status.availability.as_deref().filter(|_| availability);
            if refreshed_at.is_some() || status.deployment_status.is_some() || availability_text.is_some() {
                w.open("rmsg:ResourceStatus");
                if let Some(at) = refreshed_at {
                    w.leaf("rmsg:InventoryRefreshDateTime", &timestamp(at));
                }
                if let Some(value) = &status.deployment_status {
                    w.value_list("rmsg:DeploymentStatus", super::DEPLOYMENT_STATUS_URN, value);
                }
                w.leaf_opt("rmsg:Availability", availability_text);
                w.close();
            }
        }
    }
    w.close();
    let order = info.order_id.as_deref().filter(|_| !matches!(kind, K::RequestResource | K::ResponseToRequestResource));
    let function = info.anticipated_function.as_deref();
    if info.quantity.is_some() || order.is_some() || function.is_some() {
        w.open("rmsg:AssignmentInformation");
        if let Some(amount) = info.quantity {
            w.open("rmsg:Quantity");
            w.open("rm:MeasuredQuantity");
            w.leaf("rm:Amount", &amount.to_string());
            w.value_list("rm:UnitOfMeasure", UNIT_URN, "each");
            w.close();
            w.close();
        }
        w.leaf_opt("rmsg:AnticipatedFunction", function);
        w.leaf_opt("rmsg:OrderID", order);
        w.close();
    }
    let allowed = kind.schedule_types();
    for entry in info.schedule.iter().filter(|s| allowed.contains(&s.kind.as_str())) {
        w.open("rmsg:ScheduleInformation");
        w.leaf("rmsg:ScheduleType", &entry.kind);
        if let Some(at) = entry.at {
            w.leaf("rmsg:DateTime", &timestamp(at));
        }
        if let Some(place) = &entry.location {
            w.open("rmsg:Location");
            w.leaf("rm:LocationDescription", place);
            w.close();
        }
        w.close();
    }
    w.close();
}

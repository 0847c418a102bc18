//! Property tests: no input reaches a panic. Arbitrary decimals (the whole range `rust_decimal` can hold, at every
//! scale) go through the `Decimal` scalar as a client would send them and then through every money computation;
//! arbitrary documents and variables go through the admission gate; arbitrary text survives an EDXL-RM message
//! written and read back, and arbitrary bytes given as a message are refused or read, never a panic.

use async_graphql::{InputType, Request, Variables};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::domain::claims::{InvoiceLineInput, line_amount};
use crate::domain::money;
use crate::domain::offers::CostCategory;
use crate::edxl::message::{Contact, IncidentInfo, Message, Resource, ResourceInfo, Schedule};
use crate::edxl::{EdxlRmMessage, read, xml};
use crate::gate::{self, Limits, PersistedQueries, Transport};
use crate::scalars::Decimal as DecimalScalar;

/// Any value `rust_decimal` can represent: a 96-bit mantissa at a scale of 0 to 28.
fn any_decimal() -> impl Strategy<Value = Decimal> {
    (any::<i128>(), 0u32..=28).prop_map(|(m, scale)| {
        let m = m % (1i128 << 96);
        Decimal::try_from_i128_with_scale(m, scale).unwrap_or_default()
    })
}

/// What the scalar makes of a decimal sent as a string: the value if it is admitted.
fn as_input(value: Decimal) -> Option<DecimalScalar> {
    DecimalScalar::parse(Some(async_graphql::Value::String(value.to_string()))).ok()
}

/// Text a client may store: no control, format, private-use or unassigned characters, not blank, trimmed.
fn stored_text() -> impl Strategy<Value = String> {
    "[^\\p{C}]{1,60}".prop_filter_map("blank", |t| Some(t.trim().to_owned()).filter(|t| !t.is_empty()))
}

/// A `RequestResource` carrying the texts in every free-text element the reader reads back.
fn request_message(texts: &[String], quantity: u16, seconds: i64) -> Message {
    let at = chrono::DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap_or_default();
    Message {
        kind: EdxlRmMessage::RequestResource,
        message_id: texts[0].clone(),
        sent_at: at,
        description: Some(texts[1].clone()),
        originating_message_id: texts[0].clone(),
        preceding_message_id: None,
        incidents: vec![IncidentInfo { id: Some(texts[2].clone()), description: Some(texts[3].clone()) }],
        contacts: vec![Contact {
            role: Some("Requester".into()),
            description: Some(texts[4].clone()),
            name: Some(texts[5].clone()),
            phone: Some(texts[6].clone()),
            email: Some(texts[7].clone()),
        }],
        resources: vec![ResourceInfo {
            element_id: "1".into(),
            response: None,
            resource: Resource {
                name: Some(texts[8].clone()),
                type_structure: Some((crate::edxl::RESOURCE_TYPE_URN.into(), texts[9].clone())),
                description: Some(texts[10].clone()),
                ..Resource::default()
            },
            quantity: Some(f64::from(quantity)),
            anticipated_function: None,
            order_id: None,
            schedule: vec![Schedule {
                kind: "RequestedArrival".into(),
                at: Some(at),
                location: Some(texts[11].clone()),
            }],
        }],
    }
}

fn limits() -> Limits {
    Limits { service_for_gateway_only: true, ..gate::tests::limits() }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn the_decimal_scalar_admits_only_bounded_values(value in any_decimal()) {
        if let Some(DecimalScalar(parsed)) = as_input(value) {
            prop_assert!(parsed.abs() < Decimal::from(crate::scalars::DECIMAL_INPUT_BOUND));
            prop_assert!(parsed.normalize().scale() <= 4);
        }
    }

    #[test]
    fn decimal_text_never_panics(text in "\\PC{0,80}", number in any::<i64>()) {
        let _ = DecimalScalar::parse(Some(async_graphql::Value::String(text)));
        let _ = DecimalScalar::parse(Some(async_graphql::Value::Number(number.into())));
    }

    #[test]
    fn invoice_lines_never_panic(
        hours in any_decimal(), rate in any_decimal(), actual in any_decimal(),
        furnished in any_decimal(), insurance in any_decimal(), hourly in any::<bool>(),
    ) {
        let line = InvoiceLineInput {
            category: CostCategory::Equipment,
            description: "line".into(),
            hours: if hourly { as_input(hours) } else { None },
            rate: if hourly { as_input(rate) } else { None },
            actual_cost: if hourly { None } else { as_input(actual) },
            furnished_deduction: as_input(furnished),
            insurance_proceeds: as_input(insurance),
        };
        if let Ok(computed) = line_amount(0, &line) {
            prop_assert!(computed.amount >= Decimal::ZERO);
            prop_assert!(computed.amount < Decimal::from(money::AMOUNT_BOUND));
        }
    }

    #[test]
    fn money_arithmetic_never_panics(values in proptest::collection::vec(any_decimal(), 0..600)) {
        let _ = money::sum(values.iter().copied());
        let mut total = Decimal::ZERO;
        for value in &values {
            let _ = money::add(&mut total, *value);
            let _ = money::amount("a", *value);
            let _ = money::quantity("q", *value);
        }
        if let [a, b, ..] = values.as_slice() {
            let _ = money::product("p", *a, *b);
        }
        // Within the input bounds, 500 lines of the largest amount add up without an error.
        let bounded: Vec<Decimal> = values.iter().filter_map(|v| money::amount("a", *v).ok()).take(500).collect();
        prop_assert!(money::sum(bounded).is_ok());
    }

    #[test]
    fn admission_never_panics(
        document in "[{}()\\[\\]:.$@!,=\"#a-zA-Z0-9_ \\n\\\\]{0,300}",
        spread in proptest::collection::vec("(query|fragment F[0-9] on Query|\\{|\\}|\\.\\.\\.F[0-9]|a[0-9]?:|viewer|_service|__schema|\\$v|\"[^\"]{0,8}\")", 0..60),
        text in "\\PC{0,40}",
        transport in prop_oneof![Just(Transport::Get), Just(Transport::Post), Just(Transport::WebSocket)],
        gateway in any::<bool>(),
    ) {
        let store = PersistedQueries::new(16, 1 << 20);
        for doc in [document, spread.join(" ")] {
            let variables = Variables::from_json(serde_json::json!({ "v": text, "w": [text, { "x": text }] }));
            let _ = gate::admit(&limits(), &store, Request::new(doc).variables(variables), transport, gateway);
        }
    }

    #[test]
    fn edxl_text_survives_writing_and_reading(
        texts in proptest::collection::vec(stored_text(), 12),
        quantity in 1u16..10_000,
        seconds in 0i64..400_000_000,
    ) {
        let message = request_message(&texts, quantity, seconds);
        let written = xml::to_xml(&message);
        let read_back = read::parse(&written);
        prop_assert!(read_back.is_ok(), "{:?}\n{}", read_back.err().map(|e| e.message()), written);
        prop_assert_eq!(read_back.ok(), Some(message));
    }

    #[test]
    fn edxl_reading_never_panics(
        text in "(<[a-zA-Z:]{1,12}( [a-z:]{1,8}=\"[^\"<]{0,20}\")?/?>|</[a-zA-Z:]{1,12}>|<!DOCTYPE[^>]{0,20}>|&[a-z#0-9]{0,6};|[^<&]{0,12}){0,80}",
        wrap in any::<bool>(),
    ) {
        let _ = read::parse(&text);
        if wrap {
            let _ = read::parse(&format!("<rmsg:RequestResource xmlns:rmsg=\"{}\">{text}</rmsg:RequestResource>", crate::edxl::NS_MSG));
        }
    }
}

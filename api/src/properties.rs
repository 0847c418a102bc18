//! Property tests: no input reaches a panic. Arbitrary decimals (the whole range `rust_decimal` can hold, at every
//! scale) go through the `Decimal` scalar as a client would send them and then through every money computation;
//! arbitrary documents and variables go through the admission gate.

use async_graphql::{InputType, Request, Variables};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::domain::claims::{InvoiceLineInput, line_amount};
use crate::domain::money;
use crate::domain::offers::CostCategory;
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
}

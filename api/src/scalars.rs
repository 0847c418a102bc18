//! Custom scalars of the contract: `DateTime` (RFC 3339, always UTC with `Z`) and `Date` (ISO 8601 calendar date).
//! Money uses the `Decimal` scalar (an exact decimal carried as a string).

use async_graphql::{Description, InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDate, SecondsFormat, Utc};

/// An instant, written in RFC 3339 and always in UTC (`2026-11-18T14:30:00Z`). Inputs with an offset are accepted
/// and converted to UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Description)]
pub struct DateTime(pub chrono::DateTime<Utc>);

#[Scalar(name = "DateTime", use_type_description)]
impl ScalarType for DateTime {
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if chrono::DateTime::parse_from_rfc3339(text).is_ok())
    }

    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|at| DateTime(at.with_timezone(&Utc)))
                .map_err(|_| InputValueError::custom(format!("{text:?} is not an RFC 3339 date-time"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(at: chrono::DateTime<Utc>) -> Self {
        DateTime(at)
    }
}

/// A calendar date without a time zone (`2026-11-18`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Description)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date", use_type_description)]
impl ScalarType for Date {
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok())
    }

    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom(format!("{text:?} is not a date (YYYY-MM-DD)"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

impl From<NaiveDate> for Date {
    fn from(date: NaiveDate) -> Self {
        Date(date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_time_is_written_in_utc_with_z() {
        let parsed = <DateTime as ScalarType>::parse(Value::String("2026-11-18T09:30:00-05:00".into())).unwrap();
        assert_eq!(parsed.to_value(), Value::String("2026-11-18T14:30:00Z".into()));
    }

    #[test]
    fn bad_dates_are_refused() {
        assert!(<Date as ScalarType>::parse(Value::String("18/11/2026".into())).is_err());
        assert!(<DateTime as ScalarType>::parse(Value::String("yesterday".into())).is_err());
    }
}

/// The sequence number of an event: a 64-bit integer carried as a decimal string, strictly increasing in the order
/// events were written. Clients keep the last one they saw to resume from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Description)]
pub struct Sequence(pub i64);

#[Scalar(name = "Sequence", use_type_description)]
impl ScalarType for Sequence {
    fn is_valid(value: &Value) -> bool {
        Self::parse(value.clone()).is_ok()
    }

    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(Sequence)
                .ok_or_else(|| InputValueError::custom(format!("{text:?} is not a sequence number"))),
            Value::Number(n) => n
                .as_i64()
                .filter(|n| *n >= 0)
                .map(Sequence)
                .ok_or_else(|| InputValueError::custom("a sequence number is a non-negative integer")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// An exact decimal amount (money, hours), carried as a string such as `"1234.50"` so that no client parses it
/// as a binary float. Integers are accepted as input too. As input, its magnitude is below one trillion
/// (`1000000000000`) and it has at most four decimals; money inputs further allow at most two decimals (cents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Description)]
pub struct Decimal(pub rust_decimal::Decimal);

/// The largest magnitude a `Decimal` input may have (exclusive): one trillion.
pub const DECIMAL_INPUT_BOUND: i64 = 1_000_000_000_000;

/// The most decimals a `Decimal` input may have.
pub const DECIMAL_INPUT_SCALE: u32 = 4;

fn parse_decimal(value: &Value) -> Option<rust_decimal::Decimal> {
    match value {
        Value::String(text) if text.len() <= 64 => text.trim().parse::<rust_decimal::Decimal>().ok(),
        Value::Number(n) => n.as_i64().map(rust_decimal::Decimal::from),
        _ => None,
    }
}

fn within_bounds(value: rust_decimal::Decimal) -> bool {
    value.abs() < rust_decimal::Decimal::from(DECIMAL_INPUT_BOUND) && value.normalize().scale() <= DECIMAL_INPUT_SCALE
}

#[Scalar(name = "Decimal", use_type_description)]
impl ScalarType for Decimal {
    fn is_valid(value: &Value) -> bool {
        parse_decimal(value).is_some()
    }

    fn parse(value: Value) -> InputValueResult<Self> {
        let parsed = parse_decimal(&value)
            .ok_or_else(|| InputValueError::custom("expected an exact decimal as a string, such as \"1234.50\""))?;
        if !within_bounds(parsed) {
            return Err(InputValueError::custom(format!(
                "a decimal must be below {DECIMAL_INPUT_BOUND} in magnitude with at most {DECIMAL_INPUT_SCALE} decimals"
            )));
        }
        Ok(Decimal(parsed))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

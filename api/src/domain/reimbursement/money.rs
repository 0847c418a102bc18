//! Exact money: amounts are `rust_decimal` values, stored as text so that SQLite and PostgreSQL keep every digit.

use rust_decimal::Decimal;

use crate::error::{AppError, AppResult};

/// Parses a stored amount.
pub fn stored(text: &str) -> AppResult<Decimal> {
    text.parse().map_err(|_| AppError::Internal(format!("invalid stored amount {text:?}")))
}

/// Parses an optional stored amount.
pub fn stored_opt(text: Option<&str>) -> AppResult<Option<Decimal>> {
    text.map(stored).transpose()
}

/// The bound (exclusive) of every amount and quantity: one trillion.
pub const AMOUNT_BOUND: i64 = 1_000_000_000_000;

/// Checks an input amount: not negative, at most two decimals (cents), below a trillion.
pub fn amount(field: &str, value: Decimal) -> AppResult<Decimal> {
    if value < Decimal::ZERO {
        return Err(AppError::bad_input(field, format!("{field} cannot be negative")));
    }
    if value.scale() > 2 && value.normalize().scale() > 2 {
        return Err(AppError::bad_input(field, format!("{field} has at most two decimals")));
    }
    if value >= Decimal::from(AMOUNT_BOUND) {
        return Err(AppError::bad_input(field, format!("{field} must be below {AMOUNT_BOUND}")));
    }
    Ok(value.round_dp(2))
}

/// Checks a quantity of hours or units: not negative, at most four decimals.
pub fn quantity(field: &str, value: Decimal) -> AppResult<Decimal> {
    if value < Decimal::ZERO {
        return Err(AppError::bad_input(field, format!("{field} cannot be negative")));
    }
    if value.normalize().scale() > 4 {
        return Err(AppError::bad_input(field, format!("{field} has at most four decimals")));
    }
    if value >= Decimal::from(AMOUNT_BOUND) {
        return Err(AppError::bad_input(field, format!("{field} must be below {AMOUNT_BOUND}")));
    }
    Ok(value)
}

/// Adds amounts, refusing (rather than panicking on) a total that does not fit: stored amounts are bounded, so a
/// failure here means a stored value was not, and it is reported as an internal error.
pub fn sum(values: impl IntoIterator<Item = Decimal>) -> AppResult<Decimal> {
    values.into_iter().try_fold(Decimal::ZERO, |total, value| {
        total.checked_add(value).ok_or_else(|| AppError::Internal("an amount total overflowed".into()))
    })
}

/// Adds two amounts, as [`sum`] does.
pub fn add(total: &mut Decimal, value: Decimal) -> AppResult<()> {
    *total = sum([*total, value])?;
    Ok(())
}

/// Multiplies a quantity by a rate for `field`, refusing a product beyond the bound of an amount.
pub fn product(field: &str, quantity: Decimal, rate: Decimal) -> AppResult<Decimal> {
    let value = quantity
        .checked_mul(rate)
        .ok_or_else(|| AppError::bad_input(field, format!("{field}: hours times rate is too large")))?;
    if value >= Decimal::from(AMOUNT_BOUND) {
        return Err(AppError::bad_input(field, format!("{field}: hours times rate must stay below {AMOUNT_BOUND}")));
    }
    Ok(value)
}

/// An amount with exactly two decimals (`0` becomes `0.00`), as money is shown.
pub fn cents(value: Decimal) -> Decimal {
    let mut v = value.round_dp(2);
    v.rescale(2);
    v
}

/// Writes an amount with two decimals.
pub fn text(value: Decimal) -> String {
    cents(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_cents_and_never_negative() {
        assert_eq!(text(amount("a", "18400".parse().unwrap()).unwrap()), "18400.00");
        assert_eq!(text(amount("a", "0.10".parse().unwrap()).unwrap()), "0.10");
        assert!(amount("a", "-1".parse().unwrap()).is_err());
        assert!(amount("a", "1.005".parse().unwrap()).is_err());
        assert_eq!(text("0.1".parse::<Decimal>().unwrap() + "0.2".parse::<Decimal>().unwrap()), "0.30");
    }
}

//! Input checks shared by the domain functions. Each failure names the input field it is about.

use async_graphql::ID;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Parses an opaque id.
pub fn id(field: &str, id: &ID) -> AppResult<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| AppError::bad_input(field, format!("{field} is not a valid id")))
}

/// Trims a required text and checks its length.
pub fn text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(AppError::bad_input(field, format!("{field} must not be empty")));
    }
    if trimmed.chars().count() > max {
        return Err(AppError::bad_input(field, format!("{field} must be at most {max} characters")));
    }
    Ok(trimmed.to_owned())
}

/// Trims an optional text; blank becomes none.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> AppResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => self::text(field, text, max).map(Some),
    }
}

/// An optional e-mail address of a plausible shape.
pub fn email(field: &str, value: Option<&str>) -> AppResult<Option<String>> {
    let Some(email) = optional_text(field, value, 254)? else { return Ok(None) };
    let valid = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
    }) && !email.chars().any(char::is_whitespace);
    if valid { Ok(Some(email)) } else { Err(AppError::bad_input(field, format!("{field} is not an e-mail address"))) }
}

/// An optional telephone number: digits with the usual separators.
pub fn phone(field: &str, value: Option<&str>) -> AppResult<Option<String>> {
    let Some(phone) = optional_text(field, value, 40)? else { return Ok(None) };
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone.chars().all(|c| c.is_ascii_digit() || " +-().x".contains(c));
    if allowed && (7..=20).contains(&digits) {
        Ok(Some(phone))
    } else {
        Err(AppError::bad_input(field, format!("{field} is not a telephone number")))
    }
}

/// An optional latitude/longitude pair: both or neither, in range.
pub fn location(latitude: Option<f64>, longitude: Option<f64>) -> AppResult<(Option<f64>, Option<f64>)> {
    match (latitude, longitude) {
        (None, None) => Ok((None, None)),
        (Some(lat), Some(lon)) => {
            if !(-90.0..=90.0).contains(&lat) {
                return Err(AppError::bad_input("latitude", "latitude must be between -90 and 90"));
            }
            if !(-180.0..=180.0).contains(&lon) {
                return Err(AppError::bad_input("longitude", "longitude must be between -180 and 180"));
            }
            Ok((Some(lat), Some(lon)))
        }
        (Some(_), None) => Err(AppError::bad_input("longitude", "latitude and longitude go together")),
        (None, Some(_)) => Err(AppError::bad_input("latitude", "latitude and longitude go together")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("name", "  Provo ", 10).unwrap(), "Provo");
        assert!(text("name", "   ", 10).is_err());
        assert!(text("name", "abcdefghijk", 10).is_err());
    }

    #[test]
    fn emails_and_phones() {
        assert!(email("email", Some("em@county.example.gov")).unwrap().is_some());
        assert!(email("email", Some("not an email")).is_err());
        assert!(email("email", Some("a@b")).is_err());
        assert_eq!(email("email", Some("  ")).unwrap(), None);
        assert!(phone("phone", Some("801-555-0142")).unwrap().is_some());
        assert!(phone("phone", Some("call me")).is_err());
    }

    #[test]
    fn locations_come_in_pairs_and_in_range() {
        assert!(location(Some(40.7), Some(-111.9)).is_ok());
        assert!(location(Some(91.0), Some(0.0)).is_err());
        assert!(location(Some(40.0), None).is_err());
    }
}

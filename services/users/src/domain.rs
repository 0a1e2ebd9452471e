//! Inputs that validate on construction: a handler holding an `Email` knows its shape.

use shop_common::ApiError;

/// A lowercased, trimmed email address of a plausible shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// The longest address accepted (RFC 5321's path limit).
    pub const MAX_LEN: usize = 254;

    /// `local@domain.tld`, no spaces, at most 254 characters; lowercased.
    pub fn parse(input: &str) -> Result<Email, ApiError> {
        let email = input.trim().to_lowercase();
        let invalid = || ApiError::BadRequest(format!("{input:?} is not a valid email address"));
        if email.is_empty() || email.len() > Self::MAX_LEN {
            return Err(invalid());
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(invalid());
        };
        let shape_ok = !local.is_empty()
            && local.len() <= 64
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.starts_with('-')
            && email
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\\\"".contains(c));
        if shape_ok {
            Ok(Email(email))
        } else {
            Err(invalid())
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password of 8 to 1024 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

impl Password {
    /// The shortest password accepted, in characters.
    pub const MIN_LEN: usize = 8;
    /// The longest password accepted, in characters (hashing cost stays bounded).
    pub const MAX_LEN: usize = 1024;

    /// Between 8 and 1024 characters.
    pub fn parse(input: String) -> Result<Password, ApiError> {
        let length = input.chars().count();
        if length < Self::MIN_LEN {
            return Err(ApiError::BadRequest(format!(
                "password must have at least {} characters",
                Self::MIN_LEN
            )));
        }
        if length > Self::MAX_LEN {
            return Err(ApiError::BadRequest(format!(
                "password must have at most {} characters",
                Self::MAX_LEN
            )));
        }
        Ok(Password(input))
    }

    /// The password.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// An optional display name: trimmed, empty as none, at most 100 characters.
pub fn parse_name(input: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(name) = input
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
    else {
        return Ok(None);
    };
    if name.chars().count() > 100 {
        return Err(ApiError::BadRequest(
            "name must have at most 100 characters".into(),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "name must not contain control characters".into(),
        ));
    }
    Ok(Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for good in [
            "a@b.co",
            " Ann.Lee+shop@Example.COM ",
            "x_y@sub.domain.test",
        ] {
            assert!(Email::parse(good).is_ok(), "{good}");
        }
        assert_eq!(
            Email::parse(" Ann@Example.COM").map(|e| e.as_str().to_string()),
            Ok("ann@example.com".to_string())
        );
        let long = format!("{}@example.com", "a".repeat(250));
        for bad in [
            "",
            "   ",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@b@c.com",
            "a b@c.com",
            "a@.com",
            "a@com.",
            "a@b..com",
            "<a>@b.com",
            "a@-b.com",
            &long,
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(Password::parse("1234567".into()).is_err());
        assert!(Password::parse("12345678".into()).is_ok());
        assert!(Password::parse("éééééééé".into()).is_ok());
        assert!(Password::parse("x".repeat(1025)).is_err());
        assert_eq!(format!("{:?}", Password("secret12".into())), "Password(..)");
    }

    #[test]
    fn names() {
        assert_eq!(parse_name(None), Ok(None));
        assert_eq!(parse_name(Some("  ".into())), Ok(None));
        assert_eq!(parse_name(Some(" Ann ".into())), Ok(Some("Ann".into())));
        assert!(parse_name(Some("x".repeat(101))).is_err());
        assert!(parse_name(Some("a\u{0}b".into())).is_err());
    }
}

//! The `confidentiality` filter of Lever's list endpoints (lever-facts.md §4.10).

/// Which items a list returns by confidentiality. Lever lists only non-confidential
/// items unless asked otherwise, and confidential ones only to credentials allowed them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Confidentiality {
    /// `non-confidential` (Lever's default).
    #[default]
    NonConfidential,
    /// `confidential` only.
    Confidential,
    /// `all`: both.
    All,
}

impl Confidentiality {
    /// Lever's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NonConfidential => "non-confidential",
            Self::Confidential => "confidential",
            Self::All => "all",
        }
    }
}

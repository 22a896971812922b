//! Identifier newtypes, so an opportunity id can never be passed where a contact id belongs.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an identifier as Lever sent it.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The identifier as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// One candidacy in Lever (`opportunityId`): the key for ordering and for every write-back.
    OpportunityId
);
id_type!(
    /// One person in Lever (`contactId`), shared by all of that person's opportunities.
    ContactId
);
id_type!(
    /// A pipeline stage (`toStageId`, `fromStageId`); per account, resolve names through the Data API.
    StageId
);
id_type!(
    /// An archive reason (`toArchived.reason`); its type (`hired` / `non-hired`) comes from the Data API.
    ArchiveReasonId
);
id_type!(
    /// A Lever application (`applicationId`), the link between an opportunity and a posting.
    ApplicationId
);
id_type!(
    /// A Lever interview (`interviewId`).
    InterviewId
);
id_type!(
    /// lever-hooks' own id for a stored event (`evt_…`), time-ordered.
    EventId
);

impl EventId {
    /// A fresh, time-ordered event id (`evt_` and a UUIDv7 in simple form).
    pub fn generate() -> Self {
        Self(format!("evt_{}", uuid::Uuid::now_v7().simple()))
    }

    /// True when `text` has the shape of an id [`EventId::generate`] makes: `evt_` and
    /// one to 32 lowercase hex digits.
    pub fn is_well_formed(text: &str) -> bool {
        text.strip_prefix("evt_").is_some_and(|hex| {
            (1..=32).contains(&hex.len())
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
    }
}

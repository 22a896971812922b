//! A file attached to an opportunity, as `POST /opportunities/:id/files` answers it.

use super::de;
use serde::{Deserialize, Serialize};

/// A file on an opportunity. `uploadedAt` and `size` are accepted as numbers or numeric
/// strings (the docs show both).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadedFile {
    /// The file UID.
    pub id: String,
    /// Where to download it (with the same credentials).
    #[serde(default)]
    pub download_url: Option<String>,
    /// The extension Lever took from the name (`pdf`).
    #[serde(default)]
    pub ext: Option<String>,
    /// The file name.
    #[serde(default)]
    pub name: Option<String>,
    /// Uploaded, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub uploaded_at: Option<i64>,
    /// `processing`, `processed`, `unsupported`, `error`, or none yet.
    #[serde(default)]
    pub status: Option<String>,
    /// Size in bytes.
    #[serde(default, deserialize_with = "de::millis")]
    pub size: Option<i64>,
}

//! HTTPS without a proxy: `[server.tls]` names a PEM certificate chain and its private
//! key, loaded into a rustls server config (ring provider) for the intake listener.

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `[server.tls]`: serve the intake over HTTPS only, with this certificate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file with the certificate chain, the server's own certificate first
    /// (relative to the config file's folder).
    pub cert: PathBuf,
    /// PEM file with the certificate's private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC)
    /// (relative to the config file's folder).
    pub key: PathBuf,
}

/// One thing wrong with the certificate or key, under the key (`cert` or `key`) it
/// belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsProblem {
    /// `cert` or `key`.
    pub key: &'static str,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl TlsProblem {
    fn new(key: &'static str, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
        }
    }
}

impl TlsConfig {
    /// Reads both files and builds the rustls config, or says everything that is wrong
    /// with them: unreadable files, files without a certificate or key, a key that does
    /// not belong to the certificate.
    pub fn server_config(&self, base_dir: &Path) -> Result<rustls::ServerConfig, Vec<TlsProblem>> {
        let certs = read_certs(&resolve(&self.cert, base_dir));
        let key = read_key(&resolve(&self.key, base_dir));
        let (certs, key) = match (certs, key) {
            (Ok(certs), Ok(key)) => (certs, key),
            (certs, key) => return Err(certs.err().into_iter().chain(key.err()).collect()),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| vec![TlsProblem::new("cert", e.to_string())])?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| vec![pairing_problem(e)])
    }

    /// What [`Self::server_config`] would report, for `check-config`; empty when both load.
    pub fn check(&self, base_dir: &Path) -> Vec<TlsProblem> {
        self.server_config(base_dir).err().unwrap_or_default()
    }
}

/// A relative path is relative to the config file's folder, like handler programs.
fn resolve(path: &Path, base_dir: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base_dir.join(path)
    }
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsProblem> {
    let bytes = read(path, "cert")?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsProblem::new("cert", pem_message(path, "certificate", &e)))?;
    if certs.is_empty() {
        return Err(TlsProblem::new(
            "cert",
            format!(
                "{} holds no certificate (expected a PEM `BEGIN CERTIFICATE` block)",
                path.display()
            ),
        ));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsProblem> {
    let bytes = read(path, "key")?;
    PrivateKeyDer::from_pem_slice(&bytes)
        .map_err(|e| TlsProblem::new("key", pem_message(path, "private key", &e)))
}

fn read(path: &Path, key: &'static str) -> Result<Vec<u8>, TlsProblem> {
    std::fs::read(path)
        .map_err(|e| TlsProblem::new(key, format!("cannot read {}: {e}", path.display())))
}

fn pem_message(path: &Path, what: &str, error: &pem::Error) -> String {
    match error {
        pem::Error::NoItemsFound => format!(
            "{} holds no {what} in PEM form (expected a `BEGIN … {}` block)",
            path.display(),
            if what == "certificate" {
                "CERTIFICATE"
            } else {
                "PRIVATE KEY"
            }
        ),
        other => format!("{} is not valid PEM: {other}", path.display()),
    }
}

/// rustls checks the certificate and key together; say which file is at fault.
fn pairing_problem(error: rustls::Error) -> TlsProblem {
    match error {
        rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => TlsProblem::new(
            "key",
            "does not belong to the certificate in server.tls.cert (their public keys differ)",
        ),
        rustls::Error::InvalidCertificate(e) => {
            TlsProblem::new("cert", format!("not a usable certificate: {e}"))
        }
        other => TlsProblem::new("key", format!("not a usable private key: {other}")),
    }
}

#[cfg(test)]
mod tests;

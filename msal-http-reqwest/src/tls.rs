//! TLS settings of the builder, for whichever TLS feature is on.
//!
//! With `rustls` (the default) the configuration comes from `msal-http-rustls`, shared with the
//! hyper backend, and reqwest gets it preconfigured. With only `native-tls`, the settings map to
//! reqwest's own methods and certificate pinning is unsupported. With neither, only plain HTTP
//! works.

use msal_core::{
    Error,
    http::{PinnedServerCertificate, TransportError},
};

#[cfg(feature = "rustls")]
mod imp {
    use super::*;
    use msal_http_rustls::TlsOptions;

    /// The builder's TLS options.
    #[derive(Debug, Clone, Default)]
    pub(crate) struct TlsSettings {
        options: TlsOptions,
    }

    /// reqwest negotiates HTTP/2 when the server offers it, and needs ALPN to learn that.
    fn with_alpn(mut config: rustls::ClientConfig) -> rustls::ClientConfig {
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        config
    }

    impl TlsSettings {
        pub(crate) fn add_root_certificate_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
            self.options = self.options.add_root_certificate_pem(pem)?;
            Ok(self)
        }

        pub(crate) fn tls_built_in_root_certs(mut self, enabled: bool) -> Self {
            self.options = self.options.tls_built_in_root_certs(enabled);
            self
        }

        pub(crate) fn danger_accept_invalid_certs(mut self, enabled: bool) -> Self {
            self.options = self.options.danger_accept_invalid_certs(enabled);
            self
        }

        pub(crate) fn apply(
            &self,
            builder: reqwest::ClientBuilder,
        ) -> Result<reqwest::ClientBuilder, Error> {
            Ok(builder.tls_backend_preconfigured(with_alpn(self.options.client_config()?)))
        }

        pub(crate) fn apply_pinned(
            builder: reqwest::ClientBuilder,
            pin: PinnedServerCertificate,
        ) -> Result<reqwest::ClientBuilder, TransportError> {
            let config = msal_http_rustls::pinned_client_config(pin).map_err(|e| {
                TransportError::new(msal_core::http::TransportErrorKind::Other, e.to_string())
            })?;
            Ok(builder.tls_backend_preconfigured(with_alpn(config)))
        }
    }
}

#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
mod imp {
    use super::*;
    use msal_core::http::TransportErrorKind;

    /// The builder's TLS options.
    #[derive(Debug, Clone)]
    pub(crate) struct TlsSettings {
        extra_roots: Vec<reqwest::Certificate>,
        built_in_roots: bool,
        accept_invalid_certs: bool,
    }

    impl Default for TlsSettings {
        fn default() -> Self {
            Self {
                extra_roots: Vec::new(),
                built_in_roots: true,
                accept_invalid_certs: false,
            }
        }
    }

    impl TlsSettings {
        pub(crate) fn add_root_certificate_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| Error::Crypto(format!("malformed PEM root certificate: {e}")))?;
            if certs.is_empty() {
                return Err(Error::Crypto(
                    "the PEM data holds no CERTIFICATE block".to_owned(),
                ));
            }
            self.extra_roots.extend(certs);
            Ok(self)
        }

        pub(crate) fn tls_built_in_root_certs(mut self, enabled: bool) -> Self {
            self.built_in_roots = enabled;
            self
        }

        pub(crate) fn danger_accept_invalid_certs(mut self, enabled: bool) -> Self {
            self.accept_invalid_certs = enabled;
            self
        }

        pub(crate) fn apply(
            &self,
            builder: reqwest::ClientBuilder,
        ) -> Result<reqwest::ClientBuilder, Error> {
            let roots = self.extra_roots.iter().cloned();
            let builder = if self.built_in_roots {
                builder.tls_certs_merge(roots)
            } else {
                builder.tls_certs_only(roots)
            };
            Ok(builder.tls_danger_accept_invalid_certs(self.accept_invalid_certs))
        }

        pub(crate) fn apply_pinned(
            _builder: reqwest::ClientBuilder,
            _pin: PinnedServerCertificate,
        ) -> Result<reqwest::ClientBuilder, TransportError> {
            Err(TransportError::new(
                TransportErrorKind::Unsupported,
                "certificate pinning needs the `rustls` feature of msal-http-reqwest",
            ))
        }
    }
}

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
mod imp {
    use super::*;
    use msal_core::http::TransportErrorKind;

    /// No TLS feature: plain HTTP only.
    #[derive(Debug, Clone, Default)]
    pub(crate) struct TlsSettings {}

    impl TlsSettings {
        pub(crate) fn add_root_certificate_pem(self, _pem: &[u8]) -> Result<Self, Error> {
            Err(Error::Configuration(
                "msal-http-reqwest was built without a TLS feature (`rustls` or `native-tls`)"
                    .to_owned(),
            ))
        }

        pub(crate) fn tls_built_in_root_certs(self, _enabled: bool) -> Self {
            self
        }

        pub(crate) fn danger_accept_invalid_certs(self, _enabled: bool) -> Self {
            self
        }

        pub(crate) fn apply(
            &self,
            builder: reqwest::ClientBuilder,
        ) -> Result<reqwest::ClientBuilder, Error> {
            Ok(builder)
        }

        pub(crate) fn apply_pinned(
            _builder: reqwest::ClientBuilder,
            _pin: PinnedServerCertificate,
        ) -> Result<reqwest::ClientBuilder, TransportError> {
            Err(TransportError::new(
                TransportErrorKind::Unsupported,
                "certificate pinning needs the `rustls` feature of msal-http-reqwest",
            ))
        }
    }
}

pub(crate) use imp::TlsSettings;

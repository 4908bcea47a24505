//! Test support: a real AWS emulator per test.
//!
//! [`MotoServer::start`] runs `moto_server` (moto 5.2.5, installed by
//! `scripts/setup-emulator` into `<workspace>/.venv`) on a free port of
//! 127.0.0.1 and stops it when dropped. Nothing here contacts an address outside
//! 127.0.0.0/8. When the binary is missing the test is skipped with a notice,
//! except under `CI=true`, where it fails.
//!
//! [`FaultProxy`] goes between the SDK and the server and injects throttling,
//! server errors, slow answers and permanent failures (see [`proxy`]). In front of the
//! emulator it also corrects the answers moto gives in a shape AWS never uses and stands in
//! for the operations moto lacks: [`front`] is that corrected front, which the live tests and
//! the demo (`mamori-demo emulator`) use; [`standin`] is the layer of stand-ins.
//!
//! [`webhook::Recorder`] is a webhook endpoint that records what it receives and fails on
//! demand, for the notification tests.

pub mod front;
pub mod proxy;
pub mod standin;
pub mod webhook;

pub use proxy::{FaultProxy, FaultProxyBuilder, FaultRule, ProxyError, ProxyStats, RequestInfo};

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Access key id of the test credentials (moto accepts any until auth is enabled).
pub const TEST_ACCESS_KEY_ID: &str = "testing";
/// Secret of the test credentials.
pub const TEST_SECRET_ACCESS_KEY: &str = "testing";
/// Region of the test configuration.
pub const TEST_REGION: &str = "us-east-1";

/// Where `moto_server` is: `$MAMORI_MOTO_SERVER`, else `<workspace>/.venv/bin/moto_server`.
pub fn moto_server_path() -> PathBuf {
    if let Some(p) = std::env::var_os("MAMORI_MOTO_SERVER") {
        return PathBuf::from(p);
    }
    workspace_root().join(".venv/bin/moto_server")
}

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(|p| p.parent())
        .map(PathBuf::from)
        .expect("crate lives in <workspace>/crates/")
}

/// A running moto server, stopped on drop.
pub struct MotoServer {
    child: Child,
    port: u16,
}

/// Why [`MotoServer::launch`] could not start a server.
#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    /// No executable at the path.
    #[error("moto_server not found at `{0}`: run scripts/setup-emulator or set MAMORI_MOTO_SERVER")]
    Missing(PathBuf),
    /// The process could not be started.
    #[error("cannot start `{path}`: {source}")]
    Spawn {
        /// The executable.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The process ended before answering.
    #[error("moto_server exited early with {0}")]
    Exited(std::process::ExitStatus),
    /// The server did not answer in time.
    #[error("moto_server did not answer on port {0} within 60 s")]
    Timeout(u16),
}

impl MotoServer {
    /// Starts a server, or returns `None` (after printing a notice) when the
    /// binary is missing and `CI` is not `true`. Under `CI=true` a missing
    /// binary panics: a test that needs the emulator never silently skips in CI.
    pub fn start() -> Option<MotoServer> {
        match MotoServer::launch(&moto_server_path()) {
            Ok(server) => Some(server),
            Err(MotoError::Missing(path)) => {
                let msg = MotoError::Missing(path).to_string();
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("{msg} (CI=true: emulator tests must not skip)");
                }
                eprintln!("SKIPPED (no emulator): {msg}");
                None
            }
            Err(err) => panic!("{err}"),
        }
    }

    /// Starts the `moto_server` at `bin` on a free port of 127.0.0.1, with the settings the
    /// project relies on (no default AMIs, AWS managed policies loaded), and waits until it
    /// answers.
    pub fn launch(bin: &std::path::Path) -> Result<MotoServer, MotoError> {
        if !bin.exists() {
            return Err(MotoError::Missing(bin.to_path_buf()));
        }
        let port = free_port();
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env_remove("AWS_ENDPOINT_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| MotoError::Spawn { path: bin.to_path_buf(), source })?;
        let mut server = MotoServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(MotoError::Exited(status));
            }
            if server.request("GET", "/moto-api/data.json", "").is_ok_and(|(code, _)| code == 200) {
                return Ok(server);
            }
            if Instant::now() >= deadline {
                return Err(MotoError::Timeout(port));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Makes moto check credentials (signature and key) from now on: requests
    /// signed with a key moto did not issue are rejected (`InvalidClientTokenId`).
    /// This is moto's `INITIAL_NO_AUTH_ACTION_COUNT`, set to 0 at run time
    /// through its `/moto-api/reset-auth` endpoint.
    pub fn enable_authentication(&self) {
        let (code, body) = self.request("POST", "/moto-api/reset-auth", "0").expect("moto reset-auth answers");
        assert_eq!(code, 200, "reset-auth failed: {body}");
    }

    /// A minimal HTTP/1.1 request to the server (loopback only).
    pub fn request(&self, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
        loopback_request(self.port, method, path, body)
    }

    /// An SDK configuration pointing at this server, with the test credentials
    /// and region us-east-1.
    #[cfg(feature = "sdk")]
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        test_sdk_config(&self.endpoint_url()).await
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 request to `port` on 127.0.0.1: status and body.
pub(crate) fn loopback_request(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let code = resp
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad HTTP response"))?;
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((code, body))
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// An SDK configuration for `endpoint_url` with the test credentials and region us-east-1.
#[cfg(feature = "sdk")]
async fn test_sdk_config(endpoint_url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint_url)
        .region(aws_config::Region::new(TEST_REGION))
        .credentials_provider(aws_credential_types::Credentials::new(
            TEST_ACCESS_KEY_ID,
            TEST_SECRET_ACCESS_KEY,
            None,
            None,
            "mamori-testkit",
        ))
        .load()
        .await
}

//! An S3-compatible bucket: `root = "s3://bucket/prefix"`. Every request is a SigV4 presigned
//! URL (rusty-s3) sent through the source's client, signed with the source's own credentials
//! (see [`credentials`](super::credentials)), so two sources can use two accounts. Temporary
//! credentials' session token is a signed query parameter (`X-Amz-Security-Token`).
//!
//! Uploads land here from local staging (see `upload`): one `PutObject` per completed file,
//! streamed from the staged file. File objects (`GET /_pixgate/files/{id}`) are kept in the
//! bucket too, under the reserved `.pixgate/` prefix no storage key can name, so every
//! instance serving the bucket answers for every upload.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use reqwest::StatusCode;
use rusty_s3::{S3Action, UrlStyle};
use url::Url;

use super::client;
use super::credentials::Provider;
use crate::config::S3Root;
use crate::source::{RESERVED_SEGMENT_PREFIX, SourceError};

/// Presigned URLs are used at once; a short life keeps a leaked log line harmless.
const SIGNED_FOR: Duration = Duration::from_secs(300);

pub struct Bucket {
    bucket: rusty_s3::Bucket,
    credentials: Provider,
    /// `""` or ends in `/`.
    prefix: String,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket")
            .field("name", &self.bucket.name())
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl Bucket {
    pub fn new(root: &S3Root) -> Result<Bucket, String> {
        let style = if root.path_style {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let bucket = rusty_s3::Bucket::new(
            root.endpoint.clone(),
            style,
            root.bucket.clone(),
            root.region.clone(),
        )
        .map_err(|e| format!("bucket {:?} at {}: {e}", root.bucket, root.endpoint))?;
        let credentials = Provider::new(&root.credentials)?;
        Ok(Bucket {
            bucket,
            credentials,
            prefix: root.prefix.clone(),
        })
    }

    fn object(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// A presigned URL for `method` on the object of storage key `key`. Fails when the
    /// credentials to sign with cannot be had.
    pub async fn object_url(&self, method: Method, key: &str) -> Result<Url, SourceError> {
        let object = self.object(key);
        let credentials = self.credentials.current().await?;
        let credentials = credentials.as_deref();
        Ok(match method {
            Method::HEAD => self
                .bucket
                .head_object(credentials, &object)
                .sign(SIGNED_FOR),
            Method::PUT => self
                .bucket
                .put_object(credentials, &object)
                .sign(SIGNED_FOR),
            Method::DELETE => self
                .bucket
                .delete_object(credentials, &object)
                .sign(SIGNED_FOR),
            _ => self
                .bucket
                .get_object(credentials, &object)
                .sign(SIGNED_FOR),
        })
    }

    /// Lists at most one key under the prefix: proves the bucket exists and lets us read it.
    pub async fn probe_url(&self) -> Result<Url, SourceError> {
        let credentials = self.credentials.current().await?;
        let mut list = self.bucket.list_objects_v2(credentials.as_deref());
        if !self.prefix.is_empty() {
            list.with_prefix(self.prefix.as_str());
        }
        list.with_max_keys(1);
        Ok(list.sign(SIGNED_FOR))
    }

    /// Writes the file at `path` as the object of `key`, streamed (one `PutObject`: S3 takes
    /// up to 5 GiB in one request, the default `uploads.max_bytes`).
    pub async fn put_file(
        &self,
        client: &reqwest::Client,
        key: &str,
        path: &Path,
        timeout: Duration,
    ) -> Result<(), SourceError> {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| SourceError::Io(format!("opening the staged upload: {e}")))?;
        let len = file
            .metadata()
            .await
            .map_err(|e| SourceError::Io(format!("reading the staged upload: {e}")))?
            .len();
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(
            file,
            256 * 1024,
        ));
        let url = self.object_url(Method::PUT, key).await?;
        self.send_put(client, url, body, len, timeout).await
    }

    /// The bytes of a service object (a File record) under `.pixgate/`; `None` if absent.
    pub async fn get_service_object(
        &self,
        client: &reqwest::Client,
        name: &str,
        timeout: Duration,
    ) -> Result<Option<Bytes>, SourceError> {
        let name = format!("{RESERVED_SEGMENT_PREFIX}/{name}");
        self.get_bytes(client, &name, timeout).await
    }

    /// The bytes of the object `name` under the prefix; `None` if absent.
    pub async fn get_bytes(
        &self,
        client: &reqwest::Client,
        name: &str,
        timeout: Duration,
    ) -> Result<Option<Bytes>, SourceError> {
        let url = self.object_url(Method::GET, name).await?;
        let response = send(client.get(url), timeout).await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => response
                .bytes()
                .await
                .map(Some)
                .map_err(|e| client::classify(&e)),
            status => Err(SourceError::Io(format!("the bucket answered {status}"))),
        }
    }

    /// Writes a service object under `.pixgate/`.
    pub async fn put_service_object(
        &self,
        client: &reqwest::Client,
        name: &str,
        bytes: Vec<u8>,
        timeout: Duration,
    ) -> Result<(), SourceError> {
        let name = format!("{RESERVED_SEGMENT_PREFIX}/{name}");
        self.put_bytes(client, &name, bytes, timeout).await
    }

    /// Writes the object `name` under the prefix.
    pub async fn put_bytes(
        &self,
        client: &reqwest::Client,
        name: &str,
        bytes: Vec<u8>,
        timeout: Duration,
    ) -> Result<(), SourceError> {
        let url = self.object_url(Method::PUT, name).await?;
        let len = bytes.len() as u64;
        self.send_put(client, url, bytes.into(), len, timeout).await
    }

    /// Writes the object `name` under the prefix unless one is there already (`If-None-Match:
    /// *`): whether this call created it.
    pub async fn put_bytes_if_absent(
        &self,
        client: &reqwest::Client,
        name: &str,
        bytes: Vec<u8>,
        timeout: Duration,
    ) -> Result<bool, SourceError> {
        let url = self.object_url(Method::PUT, name).await?;
        let request = client
            .put(url)
            .header(reqwest::header::IF_NONE_MATCH, "*")
            .body(bytes);
        match send(request, timeout).await?.status() {
            StatusCode::PRECONDITION_FAILED | StatusCode::CONFLICT => Ok(false),
            status if status.is_success() => Ok(true),
            status => Err(SourceError::Io(format!(
                "the bucket refused a write: {status}"
            ))),
        }
    }

    /// Deletes the object `name` under the prefix (absent is fine).
    pub async fn delete(
        &self,
        client: &reqwest::Client,
        name: &str,
        timeout: Duration,
    ) -> Result<(), SourceError> {
        let url = self.object_url(Method::DELETE, name).await?;
        let status = send(client.delete(url), timeout).await?.status();
        if status.is_success() || status == StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(SourceError::Io(format!(
                "the bucket refused a delete: {status}"
            )))
        }
    }

    /// The names (under the prefix) of every object whose name starts with `start`.
    pub async fn list(
        &self,
        client: &reqwest::Client,
        start: &str,
        timeout: Duration,
    ) -> Result<Vec<String>, SourceError> {
        let full = self.object(start);
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let credentials = self.credentials.current().await?;
            let mut list = self.bucket.list_objects_v2(credentials.as_deref());
            list.with_prefix(full.as_str());
            if let Some(token) = &token {
                list.with_continuation_token(token.as_str());
            }
            let response = send(client.get(list.sign(SIGNED_FOR)), timeout).await?;
            if !response.status().is_success() {
                let status = response.status();
                return Err(SourceError::Io(format!(
                    "the bucket refused a listing: {status}"
                )));
            }
            let text = response.text().await.map_err(|e| client::classify(&e))?;
            let page = rusty_s3::actions::ListObjectsV2::parse_response(&text)
                .map_err(|e| SourceError::Io(format!("a listing could not be read: {e}")))?;
            for object in page.contents {
                if let Some(name) = object.key.strip_prefix(self.prefix.as_str()) {
                    names.push(name.to_string());
                }
            }
            match page.next_continuation_token {
                Some(next) => token = Some(next),
                None => return Ok(names),
            }
        }
    }

    async fn send_put(
        &self,
        client: &reqwest::Client,
        url: Url,
        body: reqwest::Body,
        len: u64,
        timeout: Duration,
    ) -> Result<(), SourceError> {
        let request = client
            .put(url)
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(body);
        let status = send(request, timeout).await?.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(SourceError::Io(format!(
                "the bucket refused a write: {status}"
            )))
        }
    }
}

/// Sends `request`, given up after `timeout`.
async fn send(
    request: reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<reqwest::Response, SourceError> {
    request
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| client::classify(&e))
}

//! A scripted `HttpClient` for tests: answers from a queue and records every request.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use msal_core::http::{HttpClient, HttpRequest, HttpResponse, TransportError};

#[derive(Debug, Default, Clone)]
pub(crate) struct ScriptedHttp {
    answers: Arc<Mutex<VecDeque<Result<HttpResponse, TransportError>>>>,
    pub(crate) requests: Arc<Mutex<Vec<HttpRequest>>>,
}

impl ScriptedHttp {
    pub(crate) fn push_json(&self, status: u16, body: &str) {
        self.push(Ok(http::Response::builder()
            .status(status)
            .header("content-type", "application/json; charset=utf-8")
            .body(body.as_bytes().to_vec())
            .unwrap()));
    }

    pub(crate) fn push(&self, answer: Result<HttpResponse, TransportError>) {
        self.answers.lock().unwrap().push_back(answer);
    }

    pub(crate) fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub(crate) fn last(&self) -> HttpRequest {
        self.requests.lock().unwrap().last().cloned().unwrap()
    }
}

#[async_trait::async_trait]
impl HttpClient for ScriptedHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.requests.lock().unwrap().push(request);
        self.answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| panic!("no scripted answer left"))
    }
}

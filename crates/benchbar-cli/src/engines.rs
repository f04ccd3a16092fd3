//! `benchbar run`'s engine flags as the service's engine options.

use benchbar_engine::openai::Endpoint;
use benchbar_service::open::HttpOptions;

use crate::cli::{HttpEndpoint, RunArgs};

/// The openai options of `benchbar run`.
pub fn http_options(a: &RunArgs) -> HttpOptions {
    HttpOptions {
        url: a.url.clone(),
        api_key_env: a.api_key_env.clone(),
        served_model: a.served_model.clone(),
        tokenizer: a.tokenizer.clone(),
        timeout_s: a.timeout_s,
        rate: a.rate,
        endpoint: Some(match a.endpoint {
            HttpEndpoint::Auto => Endpoint::Auto,
            HttpEndpoint::Chat => Endpoint::Chat,
            HttpEndpoint::Completions => Endpoint::Completions,
        }),
    }
}

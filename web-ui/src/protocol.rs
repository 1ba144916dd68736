//! The typed message protocol between the page and the diagnosis worker.
//!
//! The worker (`www/worker.js`) owns one [`crate::WorkerAnalyzer`] per job.
//! Every message is a plain object with a `type` field; `job` is a number
//! chosen by the page, increasing, so answers to an old job are recognised
//! and dropped.
//!
//! Page → worker ([`ToWorker`]):
//!
//! | `type`   | fields                       | meaning                                              |
//! |----------|------------------------------|------------------------------------------------------|
//! | `start`  | `job`, `total`, `overrides?`, `files?` | begin a job (cancels any other). `overrides`: the user's kind corrections (`[{first_line, last_line, kind}]`, `analyzer_core::segment::KindOverride`). With `files` (an array of `File`), the worker streams them itself (`.gz` through `DecompressionStream('gzip')`) and finishes on its own. |
//! | `chunk`  | `job`, `data` (`Uint8Array`) | next bytes of a pasted text                          |
//! | `finish` | `job`                        | no more chunks: diagnose                             |
//! | `cancel` | `job`                        | stop, drop the job, answer nothing more for it       |
//!
//! Worker → page ([`FromWorker`]):
//!
//! | `type`     | fields                                        | meaning                                   |
//! |------------|-----------------------------------------------|-------------------------------------------|
//! | `ready`    |                                               | wasm loaded; queued messages now run      |
//! | `warm`     |                                               | the warm-up run is over (`crate::warm`); sent once, not sent when a job started first |
//! | `progress` | `job`, `bytes`, `total`, `elapsed_ms`, `file` | bytes read so far (before decompression)  |
//! | `report`   | `job`, `report` (the JSON report, as text)    | the diagnosis                             |
//! | `error`    | `job` (or `null`), `message`                  | the job failed, or the worker did         |
//!
//! `File` objects cannot pass through serde: the page adds `files` to the
//! serialised `start` message itself (see `bridge.rs`).
//!
//! The report travels as its JSON text (the contract's `--json` shape), not
//! as a JS object: serde_json is in the wasm anyway (share links, the JSON
//! download), and a second, JS-object (de)serialiser for the large `Report`
//! type would add tens of KB to the download. Posting one string is also
//! cheaper than a deep structured clone.

use analyzer_core::segment::KindOverride;
use analyzer_core::Report;
use serde::{Deserialize, Serialize};

/// Messages the page sends to the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWorker {
    Start {
        job: u32,
        /// Total input size in bytes when known (0 if not).
        total: f64,
        /// Line ranges the user re-labelled (read as that kind).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        overrides: Vec<KindOverride>,
    },
    Chunk {
        job: u32,
        #[serde(with = "serde_bytes")]
        data: Vec<u8>,
    },
    Finish {
        job: u32,
    },
    Cancel {
        job: u32,
    },
}

/// Messages the worker sends to the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWorker {
    Ready,
    /// The engine's warm-up is done ([`crate::warm`]): nothing to do, the
    /// bench waits for it.
    Warm,
    Progress {
        job: u32,
        /// Bytes read so far (compressed bytes for `.gz` files).
        bytes: f64,
        total: f64,
        elapsed_ms: f64,
        /// The file being read, if any.
        #[serde(default)]
        file: Option<String>,
    },
    Report {
        job: u32,
        #[serde(with = "report_text")]
        report: Box<Report>,
    },
    Error {
        #[serde(default)]
        job: Option<u32>,
        message: String,
    },
}

/// `Report` ⇄ its JSON text, for the `report` field.
mod report_text {
    use super::Report;
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(r: &Report, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&r.to_json())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<Report>, D::Error> {
        let text = String::deserialize(d)?;
        super::report_from_json(&text).map_err(D::Error::custom)
    }
}

/// Parse the report text the worker posts.
pub fn report_from_json(text: &str) -> Result<Box<Report>, String> {
    serde_json::from_slice(text.as_bytes())
        .map(Box::new)
        .map_err(|e| format!("the worker sent a report this page cannot read: {e}"))
}

mod js {
    use super::*;
    use wasm_bindgen::JsValue;

    fn serializer() -> serde_wasm_bindgen::Serializer {
        serde_wasm_bindgen::Serializer::json_compatible()
    }

    impl ToWorker {
        pub fn to_js(&self) -> Result<JsValue, serde_wasm_bindgen::Error> {
            // Not `json_compatible`: that one turns bytes into a plain array
            // of numbers; chunks must travel as a `Uint8Array`.
            self.serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true))
        }
        pub fn from_js(v: JsValue) -> Result<Self, serde_wasm_bindgen::Error> {
            serde_wasm_bindgen::from_value(v)
        }
    }

    impl FromWorker {
        pub fn to_js(&self) -> Result<JsValue, serde_wasm_bindgen::Error> {
            self.serialize(&serializer())
        }
        pub fn from_js(v: JsValue) -> Result<Self, serde_wasm_bindgen::Error> {
            serde_wasm_bindgen::from_value(v)
        }

        /// The same as [`FromWorker::from_js`], reading the envelope by hand
        /// (serde's internally-tagged path would buffer the message first and
        /// add its own deserialisation code to the wasm).
        pub fn decode(v: &JsValue) -> Result<Self, String> {
            let get = |k: &str| js_sys::Reflect::get(v, &JsValue::from_str(k)).unwrap_or_default();
            let num = |k: &str| get(k).as_f64();
            let job = || {
                num("job")
                    .map(|j| j as u32)
                    .ok_or_else(|| "message without a job".to_string())
            };
            let ty = get("type").as_string().unwrap_or_default();
            Ok(match ty.as_str() {
                "ready" => FromWorker::Ready,
                "warm" => FromWorker::Warm,
                "progress" => FromWorker::Progress {
                    job: job()?,
                    bytes: num("bytes").unwrap_or(0.0),
                    total: num("total").unwrap_or(0.0),
                    elapsed_ms: num("elapsed_ms").unwrap_or(0.0),
                    file: get("file").as_string(),
                },
                "report" => FromWorker::Report {
                    job: job()?,
                    report: report_from_json(
                        &get("report")
                            .as_string()
                            .ok_or_else(|| "a report message without its text".to_string())?,
                    )?,
                },
                "error" => FromWorker::Error {
                    job: num("job").map(|j| j as u32),
                    message: get("message")
                        .as_string()
                        .unwrap_or_else(|| "unknown error".to_string()),
                },
                other => return Err(format!("unknown message type {other:?}")),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug>(v: T) {
        let s = serde_json::to_string(&v).unwrap();
        let back: T = serde_json::from_str(&s).unwrap();
        assert_eq!(v, back, "{s}");
    }

    #[test]
    fn messages_round_trip_as_json() {
        round_trip(ToWorker::Start {
            job: 1,
            total: 10.0,
            overrides: vec![],
        });
        round_trip(ToWorker::Start {
            job: 1,
            total: 10.0,
            overrides: vec![KindOverride {
                first_line: 2,
                last_line: 5,
                kind: analyzer_core::artifacts::Kind::NginxConfig,
            }],
        });
        round_trip(ToWorker::Chunk {
            job: 1,
            data: b"abc\n".to_vec(),
        });
        round_trip(ToWorker::Finish { job: 1 });
        round_trip(ToWorker::Cancel { job: 1 });
        round_trip(FromWorker::Ready);
        round_trip(FromWorker::Warm);
        round_trip(FromWorker::Progress {
            job: 2,
            bytes: 5.0,
            total: 10.0,
            elapsed_ms: 3.5,
            file: Some("error.log.gz".into()),
        });
        round_trip(FromWorker::Report {
            job: 3,
            report: Box::new(analyzer_core::analyze(crate::SAMPLE.as_bytes())),
        });
        round_trip(FromWorker::Error {
            job: None,
            message: "boom".into(),
        });
    }

    #[test]
    fn tags_are_the_documented_names() {
        let s = serde_json::to_string(&ToWorker::Finish { job: 7 }).unwrap();
        assert_eq!(s, r#"{"type":"finish","job":7}"#);
        let e: FromWorker =
            serde_json::from_str(r#"{"type":"error","job":null,"message":"x"}"#).unwrap();
        assert_eq!(
            e,
            FromWorker::Error {
                job: None,
                message: "x".into()
            }
        );
    }
}

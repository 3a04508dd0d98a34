//! The gates a document's alternatives pass at registration: the grammar
//! checker in the document's variety, then the language model through the
//! fitted fluency classifier.
//!
//! The model is loaded once per registry (on the first registration, not
//! at open: most commands never register anything) and shared by every
//! handle [`Registry::reopen`] makes, since its weights are the largest
//! thing the process holds. Its verdicts end in the template, with the
//! model's hash and the gate's version, so nothing after registration
//! runs it again.
//!
//! `TELLTALE_MODEL=none` registers with the grammar checker alone (for a
//! machine that cannot spare the memory); the template then says so.

use std::sync::{Arc, Mutex};

use telltale_core::fluency::{FluencyGate, FluencyModel};
use telltale_core::gate::{Both, HarperGates};
use telltale_core::rules::{BuildReport, RuleSet};
use telltale_core::{Template, Variety};
use telltale_lm::LanguageModel;

use crate::{RegistryError, Result};

/// Reports (texts scored, texts to score) while the model judges.
pub type GateProgress = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// The language-model gate as loaded, or why there is none.
enum Fluency {
    NotLoaded,
    /// `TELLTALE_MODEL=none`.
    Off,
    Loaded(Box<FluencyGate<LanguageModel>>),
}

/// The language-model gate of one registry, shared by its handles.
#[derive(Clone)]
pub(crate) struct SharedFluency(Arc<Mutex<Fluency>>);

impl Default for SharedFluency {
    fn default() -> Self {
        SharedFluency(Arc::new(Mutex::new(Fluency::NotLoaded)))
    }
}

/// Grammar checkers by variety (loading a dictionary is slow, so each is
/// kept once made) and the shared language-model gate.
#[derive(Default)]
pub(crate) struct Gates {
    harper: HarperGates,
    fluency: SharedFluency,
    pub(crate) progress: Option<GateProgress>,
}

impl Gates {
    /// A second set for another handle: its own grammar checkers, the same
    /// model.
    pub(crate) fn share(&self) -> Gates {
        Gates {
            harper: HarperGates::default(),
            fluency: self.fluency.clone(),
            progress: None,
        }
    }

    /// Build `text`'s template under `rules`, every alternative judged by
    /// the grammar checker for `variety` and then by the language model.
    pub(crate) fn build(
        &mut self,
        rules: &RuleSet,
        variety: Variety,
        text: &str,
    ) -> Result<(Template, BuildReport)> {
        let fluency = self.fluency.clone();
        let mut state = fluency
            .0
            .lock()
            .map_err(|_| RegistryError::Model("the language-model gate failed earlier".into()))?;
        if matches!(*state, Fluency::NotLoaded) {
            *state = load()?;
        }
        let progress = self.progress.clone();
        let harper = self.harper.get(variety);
        match &mut *state {
            Fluency::Loaded(lm) => {
                lm.progress = progress.map(|p| Box::new(move |a, b| p(a, b)) as _);
                let failures = lm.failures;
                let mut both = Both(harper, lm.as_mut());
                let t = rules.build_with_report(text, &mut both);
                let lm = both.1;
                lm.progress = None;
                if lm.failures > failures {
                    return Err(RegistryError::Model(
                        "the language model could not judge this document's variations".into(),
                    ));
                }
                Ok(t?)
            }
            _ => Ok(rules.build_with_report(text, harper)?),
        }
    }
}

fn load() -> Result<Fluency> {
    if std::env::var_os("TELLTALE_MODEL").is_some_and(|v| v == "none") {
        return Ok(Fluency::Off);
    }
    let model = FluencyModel::builtin().map_err(RegistryError::Model)?;
    let lm = LanguageModel::vendored().map_err(|e| RegistryError::Model(e.to_string()))?;
    Ok(Fluency::Loaded(Box::new(FluencyGate::new(lm, model))))
}

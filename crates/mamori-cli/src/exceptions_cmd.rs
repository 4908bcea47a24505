//! `mamori exceptions check FILE`, and applying an exceptions file to `evaluate` and `audit`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use mamori_compliance::{Date, ExceptionState, Exceptions, EXPIRING_SOON_DAYS};
use mamori_engine::Config;
use mamori_rules::{catalog, RuleSet};

use crate::settings::CustomPolicies;

#[derive(Subcommand)]
pub enum ExceptionsCommand {
    /// Check an exceptions file: every field, date and rule; print what expires soon.
    Check {
        /// The exceptions file (YAML).
        file: PathBuf,
        /// Custom policies whose ids exceptions may name, as for `evaluate`.
        #[command(flatten)]
        custom: CustomPolicies,
    },
}

/// Rule ids an exception or framework may name: the catalog, and the rules of the run
/// (custom policies among them).
pub fn known_rules(rules: &RuleSet) -> Vec<&'static str> {
    let mut known: Vec<&'static str> = catalog().iter().map(|rule| rule.meta().id).collect();
    for active in rules.rules() {
        let id = active.rule.meta().id;
        if !known.contains(&id) {
            known.push(id);
        }
    }
    known
}

pub fn run(command: ExceptionsCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let ExceptionsCommand::Check { file, custom } = command;
    let known: Vec<&'static str> = custom.rules()?.iter().map(|rule| rule.meta().id).collect();
    let exceptions = Exceptions::load(&file, &known, Date::today())?;
    let today = exceptions.today();
    let list = exceptions.list();
    let expired: Vec<_> = list.iter().filter(|exception| exception.is_expired()).collect();
    let soon: Vec<_> = list
        .iter()
        .filter(|exception| !exception.is_expired() && today.days_until(exception.expires) <= EXPIRING_SOON_DAYS)
        .collect();
    writeln!(
        out,
        "{}: {} exceptions, valid: {} in force, {} expiring within {EXPIRING_SOON_DAYS} days, {} expired",
        file.display(),
        list.len(),
        list.len() - expired.len(),
        soon.len(),
        expired.len()
    )?;
    for exception in &soon {
        writeln!(
            out,
            "  expires {} (in {} days): `{}` ({}:{}): {}",
            exception.expires,
            today.days_until(exception.expires),
            exception.label,
            file.display(),
            exception.line,
            exception.reason
        )?;
    }
    for exception in &expired {
        writeln!(
            out,
            "  expired {}: `{}` ({}:{}): no longer mutes anything",
            exception.expires,
            exception.label,
            file.display(),
            exception.line
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Load the exceptions of a run (`--exceptions`, else `[exceptions] file`) and make them the
/// rule set's hook.
pub fn attach(flag: Option<&Path>, config: &Config, rules: &mut RuleSet) -> anyhow::Result<Option<Arc<Exceptions>>> {
    let Some(path) = flag.map(Path::to_owned).or_else(|| config.exceptions_file()) else {
        return Ok(None);
    };
    let exceptions = Arc::new(Exceptions::load(&path, &known_rules(rules), Date::today())?);
    rules.set_hook(exceptions.clone());
    Ok(Some(exceptions))
}

/// Warn on standard error about exceptions that expired or matched nothing.
pub fn warn(exceptions: &Exceptions, rules: &RuleSet) {
    let evaluated: Vec<&str> = rules.rules().iter().map(|active| active.rule.meta().id).collect();
    let path = exceptions.path().display();
    for outcome in exceptions.outcomes(&evaluated) {
        match outcome.state {
            ExceptionState::Expired => eprintln!(
                "warning: exception `{}` ({path}:{}) expired on {}: its {} failing checks are reported as FAIL",
                outcome.label, outcome.line, outcome.expires, outcome.would_have_muted
            ),
            ExceptionState::Stale => eprintln!(
                "warning: exception `{}` ({path}:{}) is stale: it matched no failing check in this run",
                outcome.label, outcome.line
            ),
            ExceptionState::Active | ExceptionState::NotEvaluated => {}
        }
    }
}

/// The exceptions section printed after the organization view.
pub fn render(exceptions: &Exceptions, rules: &RuleSet, out: &mut dyn Write) -> io::Result<()> {
    let evaluated: Vec<&str> = rules.rules().iter().map(|active| active.rule.meta().id).collect();
    let outcomes = exceptions.outcomes(&evaluated);
    let count = |state| outcomes.iter().filter(|outcome| outcome.state == state).count();
    let muted: u64 = outcomes.iter().map(|outcome| outcome.muted).sum();
    writeln!(out)?;
    writeln!(
        out,
        "Exceptions ({}): {} active muting {} checks, {} expired, {} stale, {} not evaluated",
        exceptions.path().display(),
        count(ExceptionState::Active),
        muted,
        count(ExceptionState::Expired),
        count(ExceptionState::Stale),
        count(ExceptionState::NotEvaluated)
    )?;
    writeln!(out, "  {:<28} {:<14} {:<11} {:>6} {:>8}  REASON", "EXCEPTION", "STATE", "EXPIRES", "MUTED", "UNMUTED")?;
    for outcome in &outcomes {
        writeln!(
            out,
            "  {:<28} {:<14} {:<11} {:>6} {:>8}  {}",
            outcome.label,
            outcome.state.as_str(),
            outcome.expires.to_string(),
            outcome.muted,
            outcome.would_have_muted,
            outcome.reason
        )?;
    }
    Ok(())
}

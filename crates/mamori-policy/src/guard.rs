//! Bounded replacements for the builtins whose cost does not follow from their input.
//!
//! The interpreter checks the time limit between steps, so one builtin call runs to its end
//! whatever the limit. For almost every builtin that cost is bounded by the data it is given,
//! which comes from an item. `numbers.range(1, 100000000)` is the exception: two small numbers
//! ask for a hundred million values, seconds of work and gigabytes of memory in one step that
//! the limit cannot interrupt. regorus looks up extensions before its builtins, so the two
//! range builtins are replaced here by the same functions with a size bound; a range over the
//! bound is an error, which is ERROR for that item only.

use anyhow::{bail, Result};
use regorus::{Engine, Value};

/// Most elements a range may have: far more than any port or index range a policy needs,
/// and built in a few milliseconds.
pub const MAX_RANGE_ELEMENTS: i128 = 1_000_000;

/// Replaces `numbers.range` and `numbers.range_step` in `engine`.
pub fn install(engine: &mut Engine) {
    // Both names are free in a new engine (extensions are only ever added here).
    let _ = engine.add_extension("numbers.range".to_owned(), 2, Box::new(|args: Vec<Value>| range(&args, None)));
    let _ = engine.add_extension(
        "numbers.range_step".to_owned(),
        3,
        Box::new(|args: Vec<Value>| range(&args[..2], Some(&args[2]))),
    );
}

/// An integer argument; `Ok(None)` for a number that is not an integer (the builtin's result
/// is then undefined, as with regorus' own non-strict builtins).
fn integer(name: &str, value: &Value) -> Result<Option<i64>> {
    match value {
        Value::Number(_) => Ok(value.as_i64().ok()),
        other => bail!("`{name}` expects numeric argument. Got `{other}` instead"),
    }
}

fn range(bounds: &[Value], step: Option<&Value>) -> Result<Value> {
    let name = if step.is_some() { "numbers.range_step" } else { "numbers.range" };
    let (Some(start), Some(end)) = (integer(name, &bounds[0])?, integer(name, &bounds[1])?) else {
        return Ok(Value::Undefined);
    };
    let step = match step {
        None => 1,
        Some(value) => match integer(name, value)? {
            Some(step) if step > 0 => step,
            // regorus 0.11 divides by this step: zero would panic, a negative one would ask
            // for a vector of absurd capacity.
            _ => bail!("`{name}`: step must be a positive integer"),
        },
    };
    let span = (i128::from(end) - i128::from(start)).abs();
    let count = span / i128::from(step) + 1;
    if count > MAX_RANGE_ELEMENTS {
        bail!("`{name}` would produce {count} numbers; mamori allows at most {MAX_RANGE_ELEMENTS} in one range");
    }
    let step = if end >= start { step } else { -step };
    let values: Vec<Value> = (0..count as i64).map(|index| Value::from(start + index * step)).collect();
    Ok(Value::from(values))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(value: Value) -> Vec<i64> {
        value.as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect()
    }

    #[test]
    fn ranges_match_the_builtins() {
        let int = |n: i64| Value::from(n);
        assert_eq!(numbers(range(&[int(1), int(4)], None).unwrap()), [1, 2, 3, 4]);
        assert_eq!(numbers(range(&[int(3), int(1)], None).unwrap()), [3, 2, 1]);
        assert_eq!(numbers(range(&[int(5), int(5)], None).unwrap()), [5]);
        assert_eq!(numbers(range(&[int(0), int(10)], Some(&int(4))).unwrap()), [0, 4, 8]);
        assert_eq!(numbers(range(&[int(10), int(0)], Some(&int(5))).unwrap()), [10, 5, 0]);
        assert_eq!(range(&[Value::from(1.5), int(3)], None).unwrap(), Value::Undefined);
        assert!(range(&[Value::from("a"), int(3)], None).is_err());
    }

    #[test]
    fn huge_ranges_and_bad_steps_are_errors() {
        let int = |n: i64| Value::from(n);
        let err = range(&[int(1), int(100_000_000)], None).unwrap_err().to_string();
        assert!(err.contains("100000000 numbers") && err.contains("at most 1000000"), "{err}");
        assert!(range(&[int(i64::MIN), int(i64::MAX)], None).is_err());
        assert!(range(&[int(0), int(10)], Some(&int(0))).unwrap_err().to_string().contains("positive"));
        assert!(range(&[int(0), int(10)], Some(&int(-1))).is_err());
        assert_eq!(numbers(range(&[int(1), int(1_000_000)], None).unwrap()).len(), 1_000_000);
    }
}

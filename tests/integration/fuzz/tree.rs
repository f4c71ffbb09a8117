//! Turning a generated [`Case`] into what the user would type: the
//! scenario text and the `--set` arguments.
//!
//! Mutations and override keys pick their target by an [`Index`] into the
//! list of every path of the tree at that moment (tables, arrays, their
//! elements, leaves), so they land anywhere, and shrink towards the first.

use toml::{Table, Value};

use super::cases::{Case, Damage, Key, Mutation, SetArg, SetValue, Tweak};
use super::vocabulary::DURATIONS;

/// A step of a path: a table key or an array index.
#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Idx(usize),
}

/// What a case renders to.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The scenario file's text.
    pub text: String,
    /// The `--set` arguments, as typed.
    pub sets: Vec<String>,
    /// The `--seed` override.
    pub seed: Option<u64>,
}

fn paths(t: &Table) -> Vec<Vec<Seg>> {
    fn walk(v: &Value, here: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
        match v {
            Value::Table(t) => {
                for (k, v) in t {
                    here.push(Seg::Key(k.clone()));
                    out.push(here.clone());
                    walk(v, here, out);
                    here.pop();
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    here.push(Seg::Idx(i));
                    out.push(here.clone());
                    walk(v, here, out);
                    here.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (k, v) in t {
        let mut here = vec![Seg::Key(k.clone())];
        out.push(here.clone());
        walk(v, &mut here, &mut out);
    }
    out
}

fn get_mut<'a>(root: &'a mut Table, path: &[Seg]) -> Option<&'a mut Value> {
    let (first, rest) = path.split_first()?;
    let Seg::Key(k) = first else { return None };
    let mut v = root.get_mut(k)?;
    for seg in rest {
        v = match (seg, v) {
            (Seg::Key(k), Value::Table(t)) => t.get_mut(k)?,
            (Seg::Idx(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

fn remove(root: &mut Table, path: &[Seg]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    let holder = if parent.is_empty() {
        None
    } else {
        get_mut(root, parent)
    };
    match (last, holder) {
        (Seg::Key(k), None) => {
            root.remove(k);
        }
        (Seg::Key(k), Some(Value::Table(t))) => {
            t.remove(k);
        }
        (Seg::Idx(i), Some(Value::Array(a))) if *i < a.len() => {
            a.remove(*i);
        }
        _ => {}
    }
}

/// The table at `path`, or the nearest table holding it.
fn table_at<'a>(root: &'a mut Table, path: &[Seg]) -> &'a mut Table {
    let mut depth = path.len();
    while depth > 0 {
        if matches!(get_mut(root, &path[..depth]), Some(Value::Table(_))) {
            break;
        }
        depth -= 1;
    }
    if depth == 0 {
        return root;
    }
    match get_mut(root, &path[..depth]) {
        Some(Value::Table(t)) => t,
        _ => unreachable!("checked just above"),
    }
}

fn pick(all: &[Vec<Seg>], i: &proptest::sample::Index) -> Option<Vec<Seg>> {
    (!all.is_empty()).then(|| all[i.index(all.len())].clone())
}

fn apply(root: &mut Table, m: &Mutation) {
    let all = paths(root);
    match m {
        Mutation::Drop(i) => {
            if let Some(p) = pick(&all, i) {
                remove(root, &p);
            }
        }
        Mutation::Replace(i, v) => {
            if let Some(slot) = pick(&all, i).and_then(|p| get_mut(root, &p)) {
                *slot = v.clone();
            }
        }
        Mutation::AddKey(i, k, v) => {
            let p = pick(&all, i).unwrap_or_default();
            table_at(root, &p).insert(k.clone(), v.clone());
        }
        Mutation::PushStep(i, step) => {
            let arrays: Vec<Vec<Seg>> = all
                .into_iter()
                .filter(|p| matches!(get_mut(root, p), Some(Value::Array(_))))
                .collect();
            match pick(&arrays, i).and_then(|p| get_mut(root, &p)) {
                Some(Value::Array(a)) => a.push(step.clone()),
                _ => {
                    root.insert("route".into(), Value::Array(vec![step.clone()]));
                }
            }
        }
        Mutation::Tweak(i, t) => {
            let leaves: Vec<Vec<Seg>> = all
                .into_iter()
                .filter(|p| !matches!(get_mut(root, p), Some(Value::Table(_) | Value::Array(_))))
                .collect();
            if let Some(leaf) = pick(&leaves, i).and_then(|p| get_mut(root, &p)) {
                *leaf = tweaked(leaf, t);
            }
        }
        Mutation::NewOperation(name, route) => {
            let mut op = Table::new();
            op.insert("route".into(), route.clone());
            let ops = root
                .entry("operations")
                .or_insert_with(|| Value::Table(Table::new()));
            if let Value::Table(ops) = ops {
                ops.insert(name.clone(), Value::Table(op));
            }
            if let Some(Value::Table(b)) = root.get_mut("behavior")
                && let Some(Value::Table(t)) = b.get_mut("transitions")
            {
                let mut leave = Table::new();
                leave.insert("leave".into(), Value::Float(1.0));
                t.insert(name.clone(), Value::Table(leave));
            }
        }
    }
}

fn tweaked(v: &Value, t: &Tweak) -> Value {
    match (v, t.how) {
        (Value::Float(_), 0) => Value::Float(t.float),
        (Value::Float(x), 1) => Value::Float(x * 10f64.powi(t.exp)),
        (Value::Float(_), _) => Value::Float(t.float.abs().fract()),
        (Value::Integer(_), 0) => Value::Integer(t.int),
        (Value::Integer(x), 1) => {
            Value::Integer(x.saturating_mul(10i64.saturating_pow(t.exp.unsigned_abs() % 19)))
        }
        (Value::Integer(x), _) => Value::Integer(x.saturating_add(t.int % 5)),
        (Value::String(s), _)
            if DURATIONS.contains(&s.as_str())
                || s.ends_with('s')
                || s.ends_with('m')
                || s.ends_with('h') =>
        {
            Value::String(
                if DURATIONS.contains(&t.word) {
                    t.word
                } else {
                    DURATIONS[t.exp.unsigned_abs() as usize % DURATIONS.len()]
                }
                .to_owned(),
            )
        }
        (Value::String(_), _) => Value::String(t.word.to_owned()),
        (Value::Boolean(b), _) => Value::Boolean(!b),
        (other, _) => other.clone(),
    }
}

/// A dotted key as `--set` takes it: bare segments where TOML allows.
fn dotted(path: &[Seg]) -> String {
    path.iter()
        .map(|s| match s {
            Seg::Idx(i) => i.to_string(),
            Seg::Key(k)
                if !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
            {
                k.clone()
            }
            Seg::Key(k) => Value::String(k.clone()).to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn char_at(text: &str, i: &proptest::sample::Index) -> usize {
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(b, _)| b)
        .chain([text.len()])
        .collect();
    bounds[i.index(bounds.len())]
}

fn damaged(text: String, d: &Damage) -> String {
    let mut lines: Vec<&str> = text.split('\n').collect();
    match d {
        Damage::None => text,
        Damage::Truncate(i) => text[..char_at(&text, i)].to_owned(),
        Damage::Insert(i, bits) => {
            let at = char_at(&text, i);
            format!("{}{bits}{}", &text[..at], &text[at..])
        }
        Damage::RepeatLine(i) => {
            let n = i.index(lines.len());
            lines.insert(n, lines[n]);
            lines.join("\n")
        }
        Damage::DropLine(i) => {
            lines.remove(i.index(lines.len()));
            lines.join("\n")
        }
    }
}

/// The text and arguments of case `c` built on base text `base`.
pub fn render(base: &str, c: &Case) -> Rendered {
    let mut root: Table = base.parse().expect("every base is TOML");
    for m in &c.mutations {
        apply(&mut root, m);
    }
    let text = if c.mutations.is_empty() {
        base.to_owned()
    } else {
        toml::to_string(&root).unwrap_or_else(|e| panic!("cannot write {root:?}: {e}"))
    };
    let all = paths(&root);
    let sets = c
        .sets
        .iter()
        .map(|s| match s {
            SetArg::NoEquals(t) => t.clone(),
            SetArg::Pair(k, v) => {
                let path = match k {
                    Key::Path(i) => pick(&all, i),
                    Key::Bad(_) => None,
                };
                let key = match (k, &path) {
                    (Key::Bad(b), _) => (*b).to_owned(),
                    (Key::Path(_), p) => p.as_deref().map_or_else(String::new, dotted),
                };
                let value = match v {
                    // One line, as typed: a newline in a string is escaped.
                    SetValue::Toml(v) => v.to_string().replace('\n', "\\n"),
                    SetValue::Raw(r) => (*r).to_owned(),
                    SetValue::Tweak(t) => {
                        let now = path.and_then(|p| get_mut(&mut root, &p).cloned());
                        tweaked(&now.unwrap_or(Value::Float(1.0)), t)
                            .to_string()
                            .replace('\n', "\\n")
                    }
                };
                format!("{key}={value}")
            }
        })
        .collect();
    Rendered {
        text: damaged(text, &c.damage),
        sets,
        seed: c.seed,
    }
}

//! The fuzz cases: scenario text and `--set` overrides, valid and
//! broken, built structurally.
//!
//! A case starts from one of the bases (the bundled scenarios, scaled down
//! for speed, and small valid ones covering what they do not: a closed
//! load, faults, coupons, thresholds, every route construct), parsed into a
//! TOML tree. Mutations then drop keys, add known keys in the wrong place
//! and unknown ones anywhere, replace values with values of any type and
//! range (NaN, ±inf, 1e300, negative, zero, bad durations and
//! distributions, datetimes, random route steps) and add operations. The
//! tree is written back as text, which may then be damaged (truncated,
//! lines dropped or repeated, tables duplicated, odd characters spliced
//! in). Overrides name keys of the case's own tree (or bad keys) with
//! random values, or are not `KEY=VALUE` at all.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use toml::{Table, Value};

use super::vocabulary::*;

/// One generated case.
#[derive(Clone, Debug)]
pub struct Case {
    /// Which base.
    pub base: Index,
    /// Structural changes, in order.
    pub mutations: Vec<Mutation>,
    /// Damage to the written text.
    pub damage: Damage,
    /// The `--set` arguments.
    pub sets: Vec<SetArg>,
    /// A `--seed` override.
    pub seed: Option<u64>,
}

/// A structural change of the TOML tree.
#[derive(Clone, Debug)]
pub enum Mutation {
    /// Remove the key or element at a path.
    Drop(Index),
    /// Replace the value at a path.
    Replace(Index, Value),
    /// Add a key to the table at (or holding) a path.
    AddKey(Index, String, Value),
    /// Push a random route step onto an array at a path.
    PushStep(Index, Value),
    /// Add `[operations.NAME]` with a random route (and its transitions).
    NewOperation(String, Value),
    /// Change a leaf within its type, out to the extremes.
    Tweak(Index, Tweak),
}

/// A change of a leaf that keeps its type, as a user tuning a scenario
/// would make it, out to the extremes: a number scaled by a power of ten
/// or replaced by an edge value, a duration replaced by another.
#[derive(Clone, Debug)]
pub struct Tweak {
    /// 0: an edge value; 1: scaled by `10^exp` (an integer: offset by
    /// `int`); 2: a plain value.
    pub how: u8,
    /// An edge float, or a plain one.
    pub float: f64,
    /// An edge integer, or an offset.
    pub int: i64,
    /// A power of ten.
    pub exp: i32,
    /// A duration, or another word.
    pub word: &'static str,
}

/// Damage to the text once written.
#[derive(Clone, Debug)]
pub enum Damage {
    /// None.
    None,
    /// Cut the text at a character.
    Truncate(Index),
    /// Splice a string in at a character.
    Insert(Index, String),
    /// Repeat a line (a `[table]` header repeated is a duplicate table).
    RepeatLine(Index),
    /// Drop a line.
    DropLine(Index),
}

/// One `--set` argument.
#[derive(Clone, Debug)]
pub enum SetArg {
    /// A key of the case's tree (by path index) or a bad key, and a value.
    Pair(Key, SetValue),
    /// Not `KEY=VALUE` at all.
    NoEquals(String),
}

/// The key of an override.
#[derive(Clone, Debug)]
pub enum Key {
    /// A path of the case's tree.
    Path(Index),
    /// A key wrong in itself.
    Bad(&'static str),
}

/// The value of an override.
#[derive(Clone, Debug)]
pub enum SetValue {
    /// A TOML value, written inline.
    Toml(Value),
    /// Raw text.
    Raw(&'static str),
    /// The key's current value, tweaked (a bad key gets a plain value).
    Tweak(Tweak),
}

fn s(x: &str) -> Value {
    Value::String(x.to_owned())
}

fn table(pairs: Vec<(&str, Value)>) -> Value {
    Value::Table(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => select(FLOATS).prop_map(Value::Float),
        2 => (0.0..1.0f64).prop_map(Value::Float),
        2 => (-5i64..2000).prop_map(Value::Integer),
        2 => select(INTS).prop_map(Value::Integer),
        4 => select(WORDS).prop_map(s),
        1 => "[a-z_]{0,6}".prop_map(Value::String),
        1 => "\\PC{0,6}".prop_map(Value::String),
        1 => any::<bool>().prop_map(Value::Boolean),
        1 => Just(Value::Datetime("1979-05-27T07:32:00Z".parse().expect("a datetime"))),
    ]
}

/// A distribution, valid or not: a known or unknown name with a random
/// subset of parameters, each a duration, a number or anything.
fn dist() -> impl Strategy<Value = Value> {
    let names = select(
        &[
            "constant",
            "exponential",
            "uniform",
            "lognormal",
            "gamma",
            "zipf",
            "normal",
            "",
        ][..],
    );
    let param = prop_oneof![
        select(&["5ms", "1s", "0s", "-1s", "1e3s", "10000h", ""][..]).prop_map(s),
        select(FLOATS).prop_map(Value::Float),
        (0.0..3.0f64).prop_map(Value::Float),
        leaf(),
    ];
    let keys = select(&["value", "mean", "min", "max", "median", "sigma", "cv", "p"][..]);
    (names, btree_map(keys, param, 0..4)).prop_map(|(name, params)| {
        let mut t: Table = params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        t.insert("dist".into(), s(name));
        Value::Table(t)
    })
}

fn wait() -> impl Strategy<Value = Option<Value>> {
    proptest::option::of(prop_oneof![
        select(&["all", "any", "some"][..]).prop_map(s),
        select(&[0i64, 1, 2, 3, 20, 10_000, 10_001, -1][..]).prop_map(Value::Integer),
        Just(Value::Float(1.5)),
    ])
}

/// A route step: every construct, with values in and out of range, nested
/// up to ten deep (routes may nest eight).
pub fn step() -> BoxedStrategy<Value> {
    let station = select(STATIONS).prop_map(s);
    let flag = proptest::option::of(prop_oneof![any::<bool>().prop_map(Value::Boolean), leaf()]);
    let leaf_step = prop_oneof![
        3 => station.clone(),
        1 => (station.clone(), leaf()).prop_map(|(v, p)| table(vec![("visit", v), ("p", p)])),
        1 => (station.clone(), select(&[1i64, 2, 4, 20, 10_000, 10_001, 0, -3][..]), wait(), flag.clone())
            .prop_map(|(f, n, w, c)| {
                let mut t = vec![("fanout", f), ("n", Value::Integer(n))];
                t.extend(w.map(|w| ("wait", w)));
                t.extend(c.map(|c| ("cancel", c)));
                table(t)
            }),
        1 => (station.clone(), select(&["0s", "1ms", "20ms", "-1s", "x"][..]), proptest::option::of(select(&[1i64, 2, 100, 101, 0][..])))
            .prop_map(|(h, a, m)| {
                let mut t = vec![("hedge", h), ("after", s(a))];
                t.extend(m.map(|m| ("max", Value::Integer(m))));
                table(t)
            }),
        1 => leaf(),
    ];
    leaf_step
        .prop_recursive(10, 48, 4, move |inner| {
            prop_oneof![
                (
                    vec(vec(inner.clone(), 0..3).prop_map(Value::Array), 0..4),
                    wait(),
                    flag.clone()
                )
                    .prop_map(|(b, w, c)| {
                        let mut t = vec![("parallel", Value::Array(b))];
                        t.extend(w.map(|w| ("wait", w)));
                        t.extend(c.map(|c| ("cancel", c)));
                        table(t)
                    }),
                (select(POOLS), vec(inner.clone(), 0..3))
                    .prop_map(|(p, r)| table(vec![("hold", s(p)), ("route", Value::Array(r))])),
                vec(inner.clone(), 0..3).prop_map(|r| table(vec![("route", Value::Array(r))])),
                (inner.clone(), select(KEYS), leaf()).prop_map(|(mut st, k, v)| {
                    if let Value::Table(t) = &mut st {
                        t.insert(k.to_owned(), v);
                    }
                    st
                }),
                (60usize..67).prop_map(|n| table(vec![(
                    "parallel",
                    Value::Array(vec![Value::Array(vec![s("cache")]); n])
                )])),
            ]
        })
        .boxed()
}

/// Any value: leaves, arrays, tables, distributions, routes.
pub fn value() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => leaf(),
        2 => dist(),
        2 => vec(step(), 0..4).prop_map(Value::Array),
        1 => vec(leaf(), 0..4).prop_map(Value::Array),
        1 => btree_map(select(KEYS).prop_map(str::to_owned), leaf(), 0..3)
            .prop_map(|t| Value::Table(t.into_iter().collect())),
    ]
    .boxed()
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => any::<Index>().prop_map(Mutation::Drop),
        5 => (any::<Index>(), value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        2 => (any::<Index>(), select(KEYS), value()).prop_map(|(i, k, v)| Mutation::AddKey(i, k.to_owned(), v)),
        2 => (any::<Index>(), step()).prop_map(|(i, v)| Mutation::PushStep(i, v)),
        12 => (any::<Index>(), tweak()).prop_map(|(i, t)| Mutation::Tweak(i, t)),
        1 => (select(&["op_x", "op_y", "Bad-Name", "home", "leave", "cache"][..]), vec(step(), 0..4))
            .prop_map(|(n, r)| Mutation::NewOperation(n.to_owned(), Value::Array(r))),
    ]
}

fn tweak() -> impl Strategy<Value = Tweak> {
    (
        0u8..3,
        prop_oneof![select(FLOATS), 0.0..1.0f64],
        prop_oneof![select(INTS), -3i64..100],
        -320i32..320,
        prop_oneof![select(DURATIONS), select(WORDS)],
    )
        .prop_map(|(how, float, int, exp, word)| Tweak {
            how,
            float,
            int,
            exp,
            word,
        })
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        14 => Just(Damage::None),
        1 => any::<Index>().prop_map(Damage::Truncate),
        1 => (any::<Index>(), prop_oneof![
            select(&["[", "]", "=", "\"", "'", "\n[scenario]\n", "\\u0000", "#", "\u{feff}", "\r"][..]).prop_map(str::to_owned),
            "\\PC{1,4}",
        ]).prop_map(|(i, t)| Damage::Insert(i, t)),
        1 => any::<Index>().prop_map(Damage::RepeatLine),
        1 => any::<Index>().prop_map(Damage::DropLine),
    ]
}

fn set_arg() -> impl Strategy<Value = SetArg> {
    let key = prop_oneof![
        4 => any::<Index>().prop_map(Key::Path),
        1 => select(BAD_KEYS).prop_map(Key::Bad),
    ];
    let val = prop_oneof![
        4 => value().prop_map(SetValue::Toml),
        1 => select(RAW_VALUES).prop_map(SetValue::Raw),
        4 => tweak().prop_map(SetValue::Tweak),
    ];
    prop_oneof![
        9 => (key, val).prop_map(|(k, v)| SetArg::Pair(k, v)),
        1 => select(&["scenario.duration", "", "x:y", "--set"][..]).prop_map(|t| SetArg::NoEquals(t.to_owned())),
    ]
}

/// A whole case: most have few changes, so that many are accepted and run.
pub fn case() -> impl Strategy<Value = Case> {
    (
        any::<Index>(),
        prop_oneof![1 => Just(0usize), 4 => Just(1), 4 => 2usize..6]
            .prop_flat_map(|n| vec(mutation(), n)),
        damage(),
        prop_oneof![3 => Just(0usize), 2 => 1usize..4].prop_flat_map(|n| vec(set_arg(), n)),
        proptest::option::weighted(0.2, any::<u64>()),
    )
        .prop_map(|(base, mutations, damage, sets, seed)| Case {
            base,
            mutations,
            damage,
            sets,
            seed,
        })
}

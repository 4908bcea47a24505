//! Static checks that keep a policy from taking the process down.
//!
//! regorus evaluates by native recursion: every rule or function call, query, comprehension
//! and reference step is a Rust stack frame, and it has no depth limit of its own. A recursive
//! function (which OPA refuses at compile time, but regorus 0.11 runs) or a long enough chain of
//! nested calls overflows the stack, and a stack overflow aborts the whole process: no finding,
//! no report, nothing in the store. It cannot be caught, so it is prevented here, before a
//! policy is ever evaluated:
//!
//! - [`bracket_nesting`] bounds how deep brackets nest in the source, which bounds the parser's
//!   own recursion (regorus bounds expression nesting, not nested `every` and query blocks);
//! - [`check`] refuses recursive functions, as OPA does, and bounds the nesting an evaluation can
//!   reach: the longest chain of rule and function activations from `deny` or `metadata`, each
//!   weighted by how deeply its own expressions and queries nest.
//!
//! The walk is iterative, so a pathological policy cannot overflow the stack of the check
//! itself.

use std::collections::{BTreeMap, BTreeSet};

use regorus::unstable::{Expr, Literal, Module, Query, Rule, RuleHead};

/// Deepest bracket nesting accepted in a policy's source. Real policies nest a handful of
/// levels; the parser recurses once per level (several frames each).
pub const MAX_BRACKET_NESTING: usize = 64;

/// Largest evaluation depth accepted, in the units below. A chain of trivial functions costs
/// about 4 units a link, and an unoptimised build uses about 4 KiB of stack a unit, so the
/// deepest accepted policy needs about 1 MiB even there: half the default stack of a spawned
/// thread (the evaluator's workers), a quarter of the main thread's.
pub const MAX_EVALUATION_DEPTH: u32 = 256;

/// Cost of entering a rule or a function (call, scope, rule bookkeeping).
const RULE_COST: u32 = 2;
/// Cost of entering a query (a rule body, a comprehension, `every`).
const QUERY_COST: u32 = 2;
/// Cost of one level of expression (a reference step, an operator, a call's arguments).
const EXPR_COST: u32 = 1;

/// The deepest bracket nesting of `text` (strings and comments skipped) and its line, when it
/// exceeds `limit`.
pub fn bracket_nesting(text: &str, limit: usize) -> Option<u32> {
    let mut depth = 0usize;
    let mut line = 1u32;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            '#' => {
                // A comment runs to the end of the line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    match c {
                        '\n' => {
                            line += 1;
                            break;
                        }
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => break,
                        _ => escaped = false,
                    }
                }
            }
            '`' => {
                for c in chars.by_ref() {
                    match c {
                        '\n' => line += 1,
                        '`' => break,
                        _ => {}
                    }
                }
            }
            '(' | '[' | '{' => {
                depth += 1;
                if depth > limit {
                    return Some(line);
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Why a policy was refused by [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Functions that call themselves, directly or through each other: `chain` starts and ends
    /// with the same function, declared at `line`.
    Recursion { line: u32, chain: Vec<String> },
    /// Evaluating `entry` may nest `depth` units deep, through `chain`.
    TooDeep { entry: String, depth: u32, chain: Vec<String> },
}

/// One rule or function name of the module, with every definition of it.
#[derive(Default)]
struct Node {
    function: bool,
    line: u32,
    /// The deepest nesting of its own definitions, in cost units.
    own: u32,
    /// Functions it calls (or substitutes with `with`): edges that certainly exist.
    calls: BTreeSet<usize>,
    /// Everything its evaluation may enter, `calls` included; a superset, since a local
    /// variable that shares a rule's name counts as a reference to that rule.
    enters: BTreeSet<usize>,
}

/// How names in the module resolve.
struct Names {
    /// `data.<package>`.
    package: String,
    /// Import aliases of documents under `data`, with the path they stand for.
    aliases: BTreeMap<String, String>,
    /// Rule names (their first path segment) and function paths, to node index.
    index: BTreeMap<String, usize>,
}

impl Names {
    /// A path relative to the package, or `None` when it is not inside it.
    fn relative<'p>(&self, path: &'p str) -> Option<&'p str> {
        path.strip_prefix(self.package.as_str())?.strip_prefix('.')
    }

    /// The function a call path names, if it is one of the module's.
    fn function(&self, nodes: &[Node], path: &str) -> Option<usize> {
        let expanded;
        let mut path = path;
        if let Some((first, rest)) = path.split_once('.') {
            if let Some(target) = self.aliases.get(first) {
                expanded = format!("{target}.{rest}");
                path = &expanded;
            }
        }
        let path = self.relative(path).unwrap_or(path);
        self.index.get(path).copied().filter(|&node| nodes[node].function)
    }
}

/// The static path of a reference (`a.b["c"]`) and its base, or `None` when a step is dynamic.
fn static_path(expr: &Expr) -> Option<String> {
    let mut parts = Vec::new();
    let mut current = expr;
    loop {
        match current {
            Expr::Var { span, .. } => {
                parts.push(span.text().to_owned());
                break;
            }
            Expr::RefDot { refr, field, .. } => {
                parts.push(field.0.text().to_owned());
                current = refr;
            }
            Expr::RefBrack { refr, index, .. } => match index.as_ref() {
                Expr::String { value, .. } => {
                    parts.push(value.as_string().ok()?.to_string());
                    current = refr;
                }
                _ => return None,
            },
            _ => return None,
        }
    }
    parts.reverse();
    Some(parts.join("."))
}

/// What one reference may enter: one node, every node, or nothing in the module.
enum Target {
    None,
    Node(usize),
    All,
}

fn reference_target(names: &Names, path: &[&str]) -> Target {
    let Some(&base) = path.first() else { return Target::None };
    if base == "data" {
        let full = path.join(".");
        return match names.relative(&full) {
            Some(rest) => {
                names.index.get(rest.split('.').next().unwrap_or(rest)).map_or(Target::None, |&n| Target::Node(n))
            }
            // `data`, or a prefix of the package: the whole package is evaluated.
            None if names.package.starts_with(&full) => Target::All,
            None => Target::None,
        };
    }
    if names.aliases.contains_key(base) {
        return Target::All;
    }
    names.index.get(base).map_or(Target::None, |&n| Target::Node(n))
}

enum Item<'a> {
    Expr(&'a Expr),
    Query(&'a Query),
}

/// Walks one definition: its deepest nesting, and the nodes it enters.
fn walk(
    names: &Names,
    nodes: &[Node],
    roots: Vec<Item<'_>>,
    calls: &mut BTreeSet<usize>,
    enters: &mut BTreeSet<usize>,
) -> u32 {
    let mut deepest = 0;
    let mut pending: Vec<(Item<'_>, u32)> = roots.into_iter().map(|item| (item, 0)).collect();
    while let Some((item, depth)) = pending.pop() {
        match item {
            Item::Query(query) => {
                let depth = depth + QUERY_COST;
                deepest = deepest.max(depth);
                for stmt in &query.stmts {
                    match &stmt.literal {
                        Literal::SomeVars { .. } => {}
                        Literal::SomeIn { key, value, collection, .. } => {
                            pending.extend(key.iter().map(|key| (Item::Expr(key), depth)));
                            pending.push((Item::Expr(value), depth));
                            pending.push((Item::Expr(collection), depth));
                        }
                        Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => {
                            pending.push((Item::Expr(expr), depth));
                        }
                        Literal::Every { domain, query, .. } => {
                            pending.push((Item::Expr(domain), depth));
                            pending.push((Item::Query(query), depth));
                        }
                    }
                    for modifier in &stmt.with_mods {
                        // `with f as g` runs `g` wherever `f` is called below.
                        if let Some(function) = static_path(&modifier.r#as).and_then(|p| names.function(nodes, &p)) {
                            calls.insert(function);
                            enters.insert(function);
                        }
                        pending.push((Item::Expr(&modifier.refr), depth));
                        pending.push((Item::Expr(&modifier.r#as), depth));
                    }
                }
            }
            Item::Expr(expr) => {
                let depth = depth + EXPR_COST;
                deepest = deepest.max(depth);
                match expr {
                    Expr::String { .. }
                    | Expr::RawString { .. }
                    | Expr::Number { .. }
                    | Expr::Bool { .. }
                    | Expr::Null { .. } => {}
                    Expr::Var { span, .. } => match reference_target(names, &[span.text()]) {
                        Target::None => {}
                        Target::Node(node) => {
                            enters.insert(node);
                        }
                        Target::All => enters.extend(0..nodes.len()),
                    },
                    Expr::RefDot { .. } | Expr::RefBrack { .. } => {
                        // Each step of a reference is one level of recursion in the interpreter.
                        let mut steps = 0;
                        let mut current = expr;
                        // The path from the base to the first dynamic step names the document.
                        let mut path = Vec::new();
                        loop {
                            match current {
                                Expr::RefDot { refr, field, .. } => {
                                    path.push(field.0.text());
                                    current = refr;
                                }
                                Expr::RefBrack { refr, index, .. } => {
                                    match index.as_ref() {
                                        Expr::String { span, .. } => path.push(span.text()),
                                        _ => path.clear(),
                                    }
                                    pending.push((Item::Expr(index), depth + steps));
                                    current = refr;
                                }
                                _ => break,
                            }
                            steps += EXPR_COST;
                        }
                        deepest = deepest.max(depth + steps);
                        match current {
                            Expr::Var { span, .. } => {
                                path.push(span.text());
                                path.reverse();
                                // `data.pkg[x]` may pick any rule: `reference_target` says so.
                                match reference_target(names, &path) {
                                    Target::None => {}
                                    Target::Node(node) => {
                                        enters.insert(node);
                                    }
                                    Target::All => enters.extend(0..nodes.len()),
                                }
                            }
                            base => pending.push((Item::Expr(base), depth + steps)),
                        }
                    }
                    Expr::Call { fcn, params, .. } => {
                        if let Some(function) = static_path(fcn).and_then(|p| names.function(nodes, &p)) {
                            calls.insert(function);
                            enters.insert(function);
                        }
                        pending.extend(params.iter().map(|param| (Item::Expr(param), depth)));
                    }
                    Expr::Array { items, .. } | Expr::Set { items, .. } => {
                        pending.extend(items.iter().map(|item| (Item::Expr(item), depth)));
                    }
                    Expr::Object { fields, .. } => {
                        for (_, key, value) in fields {
                            pending.push((Item::Expr(key), depth));
                            pending.push((Item::Expr(value), depth));
                        }
                    }
                    Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
                        pending.push((Item::Expr(term), depth));
                        pending.push((Item::Query(query), depth));
                    }
                    Expr::ObjectCompr { key, value, query, .. } => {
                        pending.push((Item::Expr(key), depth));
                        pending.push((Item::Expr(value), depth));
                        pending.push((Item::Query(query), depth));
                    }
                    Expr::UnaryExpr { expr, .. } => pending.push((Item::Expr(expr), depth)),
                    Expr::BinExpr { lhs, rhs, .. }
                    | Expr::BoolExpr { lhs, rhs, .. }
                    | Expr::ArithExpr { lhs, rhs, .. }
                    | Expr::AssignExpr { lhs, rhs, .. } => {
                        pending.push((Item::Expr(lhs), depth));
                        pending.push((Item::Expr(rhs), depth));
                    }
                    Expr::Membership { key, value, collection, .. } => {
                        pending.extend(key.iter().map(|key| (Item::Expr(key), depth)));
                        pending.push((Item::Expr(value), depth));
                        pending.push((Item::Expr(collection), depth));
                    }
                }
            }
        }
    }
    deepest
}

/// The node name of a rule head: the function's path, or a rule's first segment.
fn head_name(rule: &Rule) -> Option<(String, bool, u32)> {
    let (refr, function, line) = match rule {
        Rule::Spec { head: RuleHead::Func { refr, .. }, span, .. } => (refr, true, span.line),
        Rule::Spec { head: RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. }, span, .. } => {
            (refr, false, span.line)
        }
        Rule::Default { refr, args, span, .. } => (refr, !args.is_empty(), span.line),
    };
    let mut base = refr.as_ref();
    while let Expr::RefDot { refr, .. } | Expr::RefBrack { refr, .. } = base {
        base = refr;
    }
    let name = if function { static_path(refr)? } else { base.span().text().to_owned() };
    Some((name, function, line))
}

/// The expressions and queries of one definition.
fn definition_roots(rule: &Rule) -> Vec<Item<'_>> {
    let mut roots = Vec::new();
    match rule {
        Rule::Spec { head, bodies, .. } => {
            match head {
                RuleHead::Compr { assign, .. } => roots.extend(assign.iter().map(|a| Item::Expr(&a.value))),
                RuleHead::Set { key, .. } => roots.extend(key.iter().map(|key| Item::Expr(key))),
                RuleHead::Func { args, assign, .. } => {
                    roots.extend(args.iter().map(|arg| Item::Expr(arg)));
                    roots.extend(assign.iter().map(|a| Item::Expr(&a.value)));
                }
            }
            for body in bodies {
                roots.extend(body.assign.iter().map(|a| Item::Expr(&a.value)));
                roots.push(Item::Query(&body.query));
            }
        }
        Rule::Default { value, .. } => roots.push(Item::Expr(value)),
    }
    roots
}

/// Strongly connected components over `edges`, sinks first (Tarjan, iterative).
fn components(count: usize, edges: impl Fn(usize) -> Vec<usize>) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let mut index = vec![UNSEEN; count];
    let mut low = vec![0; count];
    let mut on_stack = vec![false; count];
    let mut stack = Vec::new();
    let mut out = Vec::new();
    let mut next = 0;
    for start in 0..count {
        if index[start] != UNSEEN {
            continue;
        }
        let mut frames: Vec<(usize, Vec<usize>, usize)> = vec![(start, edges(start), 0)];
        index[start] = next;
        low[start] = next;
        next += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some((node, successors, position)) = frames.last_mut() {
            let node = *node;
            if let Some(&successor) = successors.get(*position) {
                *position += 1;
                if index[successor] == UNSEEN {
                    index[successor] = next;
                    low[successor] = next;
                    next += 1;
                    stack.push(successor);
                    on_stack[successor] = true;
                    frames.push((successor, edges(successor), 0));
                } else if on_stack[successor] {
                    low[node] = low[node].min(index[successor]);
                }
                continue;
            }
            frames.pop();
            if let Some((parent, _, _)) = frames.last() {
                low[*parent] = low[*parent].min(low[node]);
            }
            if low[node] == index[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                out.push(component);
            }
        }
    }
    out
}

/// Checks a parsed module; `entries` are the rules mamori evaluates (`deny`, `metadata`).
pub fn check(module: &Module, entries: &[&str]) -> Result<(), Problem> {
    let package = format!("data.{}", static_path(&module.package.refr).unwrap_or_default());
    let mut aliases = BTreeMap::new();
    for import in &module.imports {
        let Some(path) = static_path(&import.refr) else { continue };
        if path == "data" || path.starts_with("data.") {
            let alias = match &import.r#as {
                Some(span) => span.text().to_owned(),
                None => path.rsplit('.').next().unwrap_or(&path).to_owned(),
            };
            aliases.insert(alias, path);
        }
    }
    let mut names = Names { package, aliases, index: BTreeMap::new() };
    let mut nodes: Vec<Node> = Vec::new();
    let mut definitions: Vec<(usize, &Rule)> = Vec::new();
    for rule in &module.policy {
        let Some((name, function, line)) = head_name(rule) else { continue };
        let node = *names.index.entry(name).or_insert_with(|| {
            nodes.push(Node { line, ..Node::default() });
            nodes.len() - 1
        });
        nodes[node].function |= function;
        definitions.push((node, rule));
    }
    for (node, rule) in definitions {
        let (mut calls, mut enters) = (BTreeSet::new(), BTreeSet::new());
        let own = walk(&names, &nodes, definition_roots(rule), &mut calls, &mut enters);
        let entry = &mut nodes[node];
        entry.own = entry.own.max(own);
        entry.calls.extend(calls);
        entry.enters.extend(enters);
    }
    let name_of: Vec<String> = {
        let mut out = vec![String::new(); nodes.len()];
        for (name, &node) in &names.index {
            out[node] = name.clone();
        }
        out
    };
    names.index.clear();

    // Recursion through function calls alone: refused, as OPA does. (A cycle through a rule is
    // stopped by regorus when the rule is entered a second time.)
    for component in components(nodes.len(), |n| nodes[n].calls.iter().copied().collect()) {
        let first = component[component.len() - 1];
        if component.len() > 1 || nodes[first].calls.contains(&first) {
            let mut chain: Vec<String> = component.iter().rev().map(|&n| name_of[n].clone()).collect();
            chain.push(name_of[first].clone());
            return Err(Problem::Recursion { line: nodes[first].line, chain });
        }
    }

    // The deepest nesting from each component, sinks first. Inside a component of several
    // nodes each rule is active at most once (regorus stops a rule entered twice) and, between
    // two rules, each function at most once (function-only cycles were refused above).
    let all = components(nodes.len(), |n| nodes[n].enters.iter().copied().collect());
    let mut component_of = vec![0; nodes.len()];
    for (index, component) in all.iter().enumerate() {
        for &node in component {
            component_of[node] = index;
        }
    }
    let mut deepest: Vec<(u32, Option<usize>)> = vec![(0, None); all.len()];
    for (index, component) in all.iter().enumerate() {
        let cost = |node: usize| nodes[node].own.saturating_add(RULE_COST);
        let rules: u32 =
            component.iter().filter(|&&n| !nodes[n].function).map(|&n| cost(n)).fold(0, u32::saturating_add);
        let functions: u32 =
            component.iter().filter(|&&n| nodes[n].function).map(|&n| cost(n)).fold(0, u32::saturating_add);
        let rule_count = component.iter().filter(|&&n| !nodes[n].function).count() as u32;
        let weight = rules.saturating_add(functions.saturating_mul(rule_count + 1));
        let mut best = (0, None);
        for &node in component {
            for &successor in &nodes[node].enters {
                let other = component_of[successor];
                if other != index && deepest[other].0 > best.0 {
                    best = (deepest[other].0, Some(other));
                }
            }
        }
        deepest[index] = (weight.saturating_add(best.0), best.1);
    }
    for entry in entries {
        let Some(node) = name_of.iter().position(|name| name == entry) else { continue };
        let mut component = component_of[node];
        let depth = deepest[component].0;
        if depth <= MAX_EVALUATION_DEPTH {
            continue;
        }
        let mut chain = Vec::new();
        loop {
            let mut members: Vec<&str> = all[component].iter().map(|&n| name_of[n].as_str()).collect();
            members.sort_unstable();
            chain.push(members.join(" <-> "));
            match deepest[component].1 {
                Some(next) => component = next,
                None => break,
            }
        }
        return Err(Problem::TooDeep { entry: entry.to_string(), depth, chain });
    }
    Ok(())
}

//! Seeded generator of the secrets benchmark repository.
//!
//! `cargo run --release -p mamori-secrets --example bench-repo -- OUT_DIR [--seed N] [--commits N] [--files N]`
//!
//! Writes a git repository at `OUT_DIR/repo` (built with `git fast-import`, then
//! repacked) and `OUT_DIR/manifest.json`. The repository has a realistic shape: an
//! initial tree of `--files` source files in many languages, then `--commits`
//! commits each touching 1-4 files (with occasional additions and deletions). It
//! holds planted AWS credentials (in .env, Python, YAML, Terraform, Java and
//! credentials files, one of them only in history: added then removed), AWS's
//! documented example keys, and near misses (19- and 21-character ids, wrong
//! prefixes, lower case, hex digests in `*_key =` assignments).
//!
//! The manifest never holds a planted value itself: only its SHA-256 (first 12
//! bytes, hex: what mamori prints as the fingerprint) and SHA-1 (what
//! detect-secrets prints as `hashed_secret`), with kind, path and line.
//!
//! Output depends only on the seed (default 20240611): the PRNG is a local
//! splitmix64, so it never changes with a crate version.

use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const DEFAULT_SEED: u64 = 20240611;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| *self.pick(alphabet) as char).collect()
    }
}

const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";
const HEX: &[u8] = b"0123456789abcdef";

fn key_id(rng: &mut Rng, prefix: &str) -> String {
    format!("{prefix}{}", rng.chars(B32, 20 - prefix.len()))
}

fn secret(rng: &mut Rng) -> String {
    loop {
        let s = rng.chars(B64, 40);
        let b = s.as_bytes();
        if b.iter().any(u8::is_ascii_uppercase)
            && b.iter().any(u8::is_ascii_lowercase)
            && b.iter().any(u8::is_ascii_digit)
        {
            return s;
        }
    }
}

fn session_token(rng: &mut Rng) -> String {
    format!("IQoJb3JpZ2luX2Vj{}", rng.chars(B64, 300))
}

#[derive(Clone)]
struct Planted {
    kind: &'static str,
    value: String,
    path: String,
    line: usize,
    history_only: bool,
}

const WORDS: &[&str] = &[
    "account", "billing", "request", "handler", "config", "client", "session", "user", "order", "invoice", "queue",
    "worker", "cache", "metrics", "token", "payload", "record", "stream", "buffer", "retry", "timeout", "region",
    "bucket", "table", "index", "schema", "event", "report", "policy", "audit",
];

fn ident(rng: &mut Rng) -> String {
    format!("{}_{}", rng.pick(WORDS), rng.pick(WORDS))
}

fn camel(rng: &mut Rng) -> String {
    let a = rng.pick(WORDS);
    let b = rng.pick(WORDS);
    format!("{a}{}{}", b[..1].to_uppercase(), &b[1..])
}

fn line_for(ext: &str, rng: &mut Rng) -> String {
    let n = rng.below(1000);
    match ext {
        "py" => match rng.below(5) {
            0 => format!("def {}(self, {}):", ident(rng), ident(rng)),
            1 => format!("    {} = {}.get(\"{}\", {n})", ident(rng), ident(rng), rng.pick(WORDS)),
            2 => format!("    logger.info(\"{} %s\", {})", rng.pick(WORDS), ident(rng)),
            3 => format!("    return {}({})", ident(rng), ident(rng)),
            _ => format!("# {} {} {}", rng.pick(WORDS), rng.pick(WORDS), rng.pick(WORDS)),
        },
        "go" => match rng.below(4) {
            0 => format!("func {}(ctx context.Context, {} string) error {{", camel(rng), camel(rng)),
            1 => format!("\t{} := {}.{}({n})", camel(rng), camel(rng), camel(rng)),
            2 => "\tif err != nil {\n\t\treturn err\n\t}".to_string(),
            _ => format!("// {} handles {}", camel(rng), rng.pick(WORDS)),
        },
        "rs" => match rng.below(4) {
            0 => format!("pub fn {}(&self, {}: &str) -> Result<()> {{", ident(rng), ident(rng)),
            1 => format!("    let {} = self.{}.get({n})?;", ident(rng), ident(rng)),
            2 => format!("    tracing::debug!(\"{} {{}}\", {});", rng.pick(WORDS), ident(rng)),
            _ => format!("/// Returns the {} of the {}.", rng.pick(WORDS), rng.pick(WORDS)),
        },
        "ts" | "java" => match rng.below(4) {
            0 => format!("  public {}({}: string) {{", camel(rng), camel(rng)),
            1 => format!("    const {} = await this.{}.{}({n});", camel(rng), camel(rng), camel(rng)),
            2 => format!("    // TODO: {} {}", rng.pick(WORDS), rng.pick(WORDS)),
            _ => "  }".to_string(),
        },
        "yaml" => format!("{}{}: {}", "  ".repeat(rng.below(3) as usize), ident(rng), rng.pick(WORDS)),
        "json" => format!("  \"{}\": \"{}-{n}\",", camel(rng), rng.pick(WORDS)),
        "tf" => match rng.below(3) {
            0 => format!("resource \"aws_s3_bucket\" \"{}\" {{", ident(rng)),
            1 => format!("  {} = \"{}-{n}\"", ident(rng), rng.pick(WORDS)),
            _ => "}".to_string(),
        },
        "sh" => format!("{}=\"${{{}:-{n}}}\"", ident(rng).to_uppercase(), ident(rng).to_uppercase()),
        "md" => {
            format!("The {} {} uses the {} {}.", rng.pick(WORDS), rng.pick(WORDS), rng.pick(WORDS), rng.pick(WORDS))
        }
        _ => format!("{} = {}", ident(rng), n),
    }
}

const EXTS: &[&str] = &["py", "go", "rs", "ts", "java", "yaml", "json", "tf", "sh", "md", "toml"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out: Option<PathBuf> = None;
    let (mut seed, mut commits, mut files) = (DEFAULT_SEED, 5000usize, 2000usize);
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--seed" => {
                seed = args[i + 1].parse().expect("--seed N");
                i += 1;
            }
            "--commits" => {
                commits = args[i + 1].parse().expect("--commits N");
                i += 1;
            }
            "--files" => {
                files = args[i + 1].parse().expect("--files N");
                i += 1;
            }
            a => out = Some(PathBuf::from(a)),
        }
        i += 1;
    }
    let out = out.expect("usage: bench-repo OUT_DIR [--seed N] [--commits N] [--files N]");
    let repo = out.join("repo");
    if repo.exists() {
        std::fs::remove_dir_all(&repo).unwrap();
    }
    std::fs::create_dir_all(&repo).unwrap();
    run(&repo, &["init", "-q", "-b", "main"]);

    let mut rng = Rng(seed);
    let services: Vec<String> = (0..40).map(|i| format!("{}-{i}", rng.pick(WORDS))).collect();
    let mut tree: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let new_file = |rng: &mut Rng, tree: &BTreeMap<String, Vec<String>>| -> (String, Vec<String>) {
        loop {
            let ext = *rng.pick(EXTS);
            let svc = rng.pick(&services).clone();
            let dir = *rng.pick(&["src", "lib", "config", "deploy", "tests", "docs", "internal/api"]);
            let path = format!("services/{svc}/{dir}/{}_{}.{ext}", rng.pick(WORDS), rng.below(100_000));
            if !tree.contains_key(&path) {
                let n = 20 + rng.below(130) as usize;
                let lines = (0..n).map(|_| line_for(ext, rng)).collect();
                return (path, lines);
            }
        }
    };
    while tree.len() < files {
        let (p, l) = new_file(&mut rng, &tree);
        tree.insert(p, l);
    }

    // What is planted, and at which commit.
    let mut planted: Vec<Planted> = Vec::new();
    let mut decoys: Vec<(String, String, String)> = Vec::new(); // (what, value, path)
    let mut plants: BTreeMap<usize, Vec<(String, Vec<String>)>> = BTreeMap::new();
    let mut removals: BTreeMap<usize, String> = BTreeMap::new();
    let mut frozen: std::collections::BTreeSet<String> = Default::default();
    let at = |k: usize| 1 + (commits - 2) * k / 12;

    let mut plant_pair = |rng: &mut Rng,
                          step: usize,
                          path: &str,
                          prefix: &str,
                          lines: &dyn Fn(&str, &str) -> Vec<String>,
                          history_only: bool| {
        let id = key_id(rng, prefix);
        let sk = secret(rng);
        let content = lines(&id, &sk);
        for (n, l) in content.iter().enumerate() {
            if l.contains(&id) {
                planted.push(Planted {
                    kind: "aws-access-key-id",
                    value: id.clone(),
                    path: path.into(),
                    line: n + 1,
                    history_only,
                });
            }
            if l.contains(&sk) {
                planted.push(Planted {
                    kind: "aws-secret-access-key",
                    value: sk.clone(),
                    path: path.into(),
                    line: n + 1,
                    history_only,
                });
            }
        }
        plants.entry(at(step)).or_default().push((path.to_string(), content));
        frozen.insert(path.to_string());
    };
    plant_pair(
        &mut rng,
        1,
        "services/billing/.env",
        "AKIA",
        &|id, sk| {
            vec![
                "DATABASE_URL=postgres://db:5432/billing".into(),
                format!("AWS_ACCESS_KEY_ID={id}"),
                format!("AWS_SECRET_ACCESS_KEY={sk}"),
                "AWS_REGION=eu-west-1".into(),
            ]
        },
        false,
    );
    plant_pair(
        &mut rng,
        2,
        "services/reports/src/export_s3.py",
        "AKIA",
        &|id, sk| {
            vec![
                "import boto3".into(),
                "".into(),
                "def client():".into(),
                "    return boto3.client(".into(),
                "        \"s3\",".into(),
                format!("        aws_access_key_id=\"{id}\","),
                format!("        aws_secret_access_key=\"{sk}\","),
                "    )".into(),
            ]
        },
        false,
    );
    plant_pair(
        &mut rng,
        3,
        "deploy/values-prod.yaml",
        "AKIA",
        &|id, sk| {
            vec![
                "replicas: 3".into(),
                "aws:".into(),
                format!("  access_key_id: {id}"),
                format!("  secret_access_key: {sk}"),
                "  region: us-east-1".into(),
            ]
        },
        false,
    );
    plant_pair(
        &mut rng,
        4,
        "infra/main.tf",
        "AKIA",
        &|id, sk| {
            vec![
                "provider \"aws\" {".into(),
                "  region     = \"us-west-2\"".into(),
                format!("  access_key = \"{id}\""),
                format!("  secret_key = \"{sk}\""),
                "}".into(),
            ]
        },
        false,
    );
    plant_pair(
        &mut rng,
        5,
        "ops/aws/credentials",
        "AKIA",
        &|id, sk| {
            vec![
                "[default]".into(),
                format!("aws_access_key_id = {id}"),
                format!("aws_secret_access_key = {sk}"),
                "".into(),
                "[ci]".into(),
                "region = us-east-1".into(),
            ]
        },
        false,
    );
    plant_pair(
        &mut rng,
        6,
        "services/legacy/src/main/java/Uploader.java",
        "AKIA",
        &|id, sk| {
            vec![
                "class Uploader {".into(),
                "  AmazonS3 s3() {".into(),
                "    BasicAWSCredentials creds = new BasicAWSCredentials(".into(),
                format!("        \"{id}\","),
                format!("        \"{sk}\");"),
                "    return new AmazonS3Client(creds);".into(),
                "  }".into(),
                "}".into(),
            ]
        },
        false,
    );
    // Added, then removed ten commits later: only in history.
    plant_pair(
        &mut rng,
        7,
        "config/old-deploy.env",
        "AKIA",
        &|id, sk| vec![format!("export AWS_ACCESS_KEY_ID={id}"), format!("export AWS_SECRET_ACCESS_KEY={sk}")],
        true,
    );
    removals.insert(at(7) + 10, "config/old-deploy.env".into());
    // Temporary credentials with a session token.
    {
        let id = key_id(&mut rng, "ASIA");
        let sk = secret(&mut rng);
        let tok = session_token(&mut rng);
        let path = "services/etl/.env.local";
        let content = vec![
            format!("AWS_ACCESS_KEY_ID={id}"),
            format!("AWS_SECRET_ACCESS_KEY={sk}"),
            format!("AWS_SESSION_TOKEN={tok}"),
        ];
        planted.push(Planted { kind: "aws-access-key-id", value: id, path: path.into(), line: 1, history_only: false });
        planted.push(Planted {
            kind: "aws-secret-access-key",
            value: sk,
            path: path.into(),
            line: 2,
            history_only: false,
        });
        planted.push(Planted {
            kind: "aws-session-token",
            value: tok,
            path: path.into(),
            line: 3,
            history_only: false,
        });
        plants.entry(at(8)).or_default().push((path.into(), content));
        frozen.insert(path.into());
    }
    // AWS's documented examples: must not be reported.
    let examples = [
        ["AKIA", "IOSFODNN7", "EXAMPLE"].concat(),
        ["wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY"].concat(),
        ["AKIA", "I44QH8DHB", "EXAMPLE"].concat(),
        ["je7MtGbClwBF/2Zp9Utk/", "h3yCo8nvbEXAMPLEKEY"].concat(),
    ];
    let doc = "docs/aws-setup.md";
    plants.entry(at(9)).or_default().push((
        doc.into(),
        vec![
            "# Configure the AWS CLI".into(),
            "".into(),
            "```ini".into(),
            format!("aws_access_key_id = {}", examples[0]),
            format!("aws_secret_access_key = {}", examples[1]),
            "```".into(),
            format!("Another user: {} / {}", examples[2], examples[3]),
        ],
    ));
    frozen.insert(doc.into());
    for e in &examples {
        decoys.push(("aws-example".into(), e.clone(), doc.into()));
    }
    // Near misses: must not be reported.
    let short = key_id(&mut rng, "AKIA")[..19].to_string();
    let long = format!("{}{}", key_id(&mut rng, "AKIA"), "Q");
    let wrong = key_id(&mut rng, "AKIB");
    let lower = key_id(&mut rng, "AKIA").to_lowercase();
    let digest = rng.chars(HEX, 40);
    let near = "services/search/config/keys_sample.yaml";
    plants.entry(at(10)).or_default().push((
        near.into(),
        vec![
            format!("truncated_id: {short}"),
            format!("padded_id: {long}"),
            format!("other_vendor_id: {wrong}"),
            format!("lowercase_id: {lower}"),
            format!("cache_key = \"{digest}\""),
        ],
    ));
    frozen.insert(near.into());
    for (w, v) in [
        ("near-miss-19", short),
        ("near-miss-21", long),
        ("near-miss-prefix", wrong),
        ("near-miss-lowercase", lower),
        ("near-miss-hex-key", digest),
    ] {
        decoys.push((w.into(), v, near.into()));
    }

    // Build the fast-import stream.
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet", "--done"])
        .current_dir(&repo)
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import runs");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, child.stdin.take().unwrap());
    let authors = [
        ("Ana Souza", "ana@example.com"),
        ("Kenji Mori", "kenji@example.com"),
        ("Lea Martin", "lea@example.com"),
        ("Sam Okafor", "sam@example.com"),
        ("Priya Nair", "priya@example.com"),
    ];
    let mut ts: u64 = 1_600_000_000;
    let emit = |w: &mut std::io::BufWriter<std::process::ChildStdin>, path: &str, lines: &[String]| {
        let mut data = lines.join("\n");
        data.push('\n');
        write!(w, "M 100644 inline {path}\ndata {}\n{data}\n", data.len()).unwrap();
    };
    for c in 0..commits {
        ts += 600 + rng.below(20_000);
        let (name, email) = *rng.pick(&authors);
        let msg = format!(
            "{} {} {}",
            rng.pick(&["fix", "add", "update", "refactor", "tune"]),
            rng.pick(WORDS),
            rng.pick(WORDS)
        );
        write!(w, "commit refs/heads/main\nmark :{}\nauthor {name} <{email}> {ts} +0000\ncommitter {name} <{email}> {ts} +0000\ndata {}\n{msg}\n", c + 1, msg.len()).unwrap();
        if c > 0 {
            writeln!(w, "from :{c}").unwrap();
        }
        if c == 0 {
            for (p, l) in &tree {
                emit(&mut w, p, l);
            }
        } else {
            let touched = 1 + rng.below(4);
            let keys: Vec<String> = tree.keys().filter(|k| !frozen.contains(*k)).cloned().collect();
            for _ in 0..touched {
                let roll = rng.below(100);
                if roll < 4 {
                    let (p, l) = new_file(&mut rng, &tree);
                    emit(&mut w, &p, &l);
                    tree.insert(p, l);
                } else if roll < 6 && tree.len() > files {
                    let p = rng.pick(&keys).clone();
                    if tree.remove(&p).is_some() {
                        writeln!(w, "D {p}").unwrap();
                    }
                } else {
                    let p = rng.pick(&keys).clone();
                    let Some(lines) = tree.get_mut(&p) else { continue };
                    let ext = p.rsplit('.').next().unwrap_or("txt").to_string();
                    for _ in 0..1 + rng.below(6) {
                        let at = rng.below(lines.len() as u64 + 1) as usize;
                        if rng.below(3) == 0 && !lines.is_empty() && at < lines.len() {
                            lines[at] = line_for(&ext, &mut rng);
                        } else {
                            lines.insert(at, line_for(&ext, &mut rng));
                        }
                    }
                    let snapshot = lines.clone();
                    emit(&mut w, &p, &snapshot);
                }
            }
        }
        if let Some(list) = plants.get(&c) {
            for (p, l) in list {
                emit(&mut w, p, l);
                tree.insert(p.clone(), l.clone());
            }
        }
        if let Some(p) = removals.get(&c) {
            writeln!(w, "D {p}").unwrap();
            tree.remove(p);
        }
        writeln!(w).unwrap();
    }
    writeln!(w, "done").unwrap();
    drop(w);
    assert!(child.wait().unwrap().success(), "git fast-import failed");
    run(&repo, &["repack", "-adq", "--window=50"]);
    run(&repo, &["checkout", "-q", "-f", "main"]);

    // Manifest: hashes only, never a planted value.
    let h256 = |v: &str| Sha256::digest(v.as_bytes())[..12].iter().map(|b| format!("{b:02x}")).collect::<String>();
    let h1 = |v: &str| Sha1::digest(v.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>();
    let planted_json: Vec<String> = planted
        .iter()
        .map(|p| {
            format!(
                "    {{\"kind\": \"{}\", \"path\": \"{}\", \"line\": {}, \"history_only\": {}, \"sha256_12\": \"{}\", \"sha1\": \"{}\"}}",
                p.kind, p.path, p.line, p.history_only, h256(&p.value), h1(&p.value)
            )
        })
        .collect();
    let decoys_json: Vec<String> = decoys
        .iter()
        .map(|(w, v, p)| {
            format!(
                "    {{\"what\": \"{w}\", \"path\": \"{p}\", \"sha256_12\": \"{}\", \"sha1\": \"{}\"}}",
                h256(v),
                h1(v)
            )
        })
        .collect();
    let manifest = format!(
        "{{\n  \"seed\": {seed},\n  \"commits\": {commits},\n  \"files_in_head\": {},\n  \"planted\": [\n{}\n  ],\n  \"decoys\": [\n{}\n  ]\n}}\n",
        tree.len(),
        planted_json.join(",\n"),
        decoys_json.join(",\n")
    );
    std::fs::write(out.join("manifest.json"), manifest).unwrap();
    eprintln!(
        "bench-repo: {} commits, {} files in HEAD, {} planted values, {} decoys (seed {seed})",
        commits,
        tree.len(),
        planted.len(),
        decoys.len()
    );
}

fn run(dir: &Path, args: &[&str]) {
    let st = Command::new("git").args(args).current_dir(dir).status().expect("git runs");
    assert!(st.success(), "git {args:?} failed");
}

//! Stable pseudonyms for personal identifiers.
//!
//! A pseudonym is `<prefix>-<6 hex>` where the hex is the start of HMAC-SHA256 over the
//! normalised value (`ip:10.0.0.5`), keyed with a per-installation random key. The key lives in
//! the user's config dir (mode 0600, never in a bundle), so the same host maps the same way in
//! every bundle from this machine, while nobody without the key can test a guess.

use std::collections::HashMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Environment variable naming a key file; used by tests and scripted runs.
pub const KEY_ENV: &str = "SUPPORT_BUNDLE_PSEUDONYM_KEY";

/// HMAC-SHA256 keyed for pseudonyms.
#[derive(Clone)]
pub(crate) struct Pseudonymizer {
    /// SHA-256 states that have absorbed the inner and the outer pad: each is one block, so
    /// a MAC starts from these instead of compressing the pads again (half the work for a
    /// short value).
    inner: Sha256,
    outer: Sha256,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer(..)")
    }
}

impl Pseudonymizer {
    /// An HMAC (RFC 2104) with a 32-byte key: block-sized pads computed once.
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        let mut inner = [0x36u8; 64];
        let mut outer = [0x5cu8; 64];
        for (i, b) in key.iter().enumerate() {
            inner[i] ^= b;
            outer[i] ^= b;
        }
        Pseudonymizer {
            inner: Sha256::new().chain_update(inner),
            outer: Sha256::new().chain_update(outer),
        }
    }

    /// HMAC-SHA256 over the concatenation of `parts`.
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut h = self.inner.clone();
        for p in parts {
            h.update(p);
        }
        let inner: [u8; 32] = h.finalize().into();
        let mut h = self.outer.clone();
        h.update(inner);
        h.finalize().into()
    }

    /// Append `<prefix>-<hex6>` for `value` to `out`. Case is folded so `Host` and `host`
    /// map alike; the prefix is part of the MAC so an IP and a host name never collide.
    pub(crate) fn write(&self, prefix: &str, value: &[u8], out: &mut Vec<u8>) {
        let mut lower = [0u8; 128];
        let v: &[u8] = if value.len() <= lower.len() {
            lower[..value.len()].copy_from_slice(value);
            lower[..value.len()].make_ascii_lowercase();
            &lower[..value.len()]
        } else {
            value
        };
        let d = self.mac(&[prefix.as_bytes(), b":", v]);
        out.extend_from_slice(prefix.as_bytes());
        out.push(b'-');
        for b in &d[..3] {
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 15) as usize]);
        }
    }
}

/// A pseudonym key a host tool holds itself (read from its own store, or from stdin) and
/// hands over through [`KeySource::Bytes`](super::KeySource::Bytes). Its `Debug` never shows
/// the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct PseudonymKey([u8; 32]);

impl PseudonymKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> PseudonymKey {
        PseudonymKey(bytes)
    }

    /// A key as a key file holds it: 64 hex digits (surrounding whitespace ignored) or 32 raw
    /// bytes; `None` for anything else.
    pub fn parse(bytes: &[u8]) -> Option<PseudonymKey> {
        parse_key(bytes).map(PseudonymKey)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key at `path`, created (random, 0600) when it does not exist.
    pub fn load_or_create(path: &Path) -> Result<PseudonymKey, String> {
        load_or_create_key(path).map(PseudonymKey)
    }

    /// Read exactly [`KEY_LINE_LEN`] bytes (64 hex digits and a newline) from `input` and no
    /// more, so what follows on the same stream stays unread: how `collect
    /// --pseudonym-key-stdin` takes the key a fleet run gives every host, without an
    /// argument, a variable or a file on the host holding it.
    pub fn read_from(input: &mut impl Read) -> Result<PseudonymKey, String> {
        let mut line = [0u8; KEY_LINE_LEN];
        input
            .read_exact(&mut line)
            .map_err(|e| format!("cannot read the pseudonym key from stdin: {e}"))?;
        let mut key = [0u8; 32];
        if line[64] != b'\n' || hex::decode_to_slice(&line[..64], &mut key).is_err() {
            return Err("pseudonym key on stdin: expected 64 hex digits and a newline".into());
        }
        Ok(PseudonymKey(key))
    }

    /// The key as [`PseudonymKey::read_from`] reads it.
    pub fn to_line(&self) -> String {
        format!("{}\n", hex::encode(self.0))
    }
}

/// Length of a key as [`PseudonymKey::to_line`] writes it and [`PseudonymKey::read_from`]
/// reads it: 64 hex digits and a newline.
pub const KEY_LINE_LEN: usize = 65;

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(..)")
    }
}

/// Pseudonyms already written by one engine, so a value seen before costs a hash-table probe
/// instead of an HMAC and hex formatting: logs repeat the same clients on line after line.
///
/// Hash tables, each emptied when it holds its most values (or, for the last, [`MEMO_BYTES`]
/// of keys), so memory stays bounded however many distinct values a stream holds. A miss is
/// what tells the engine a pseudonym is new to it (for `reveal`'s map), so a value is
/// reported again only after its table was emptied. Only a cache: output is the same with or
/// without it.
pub(crate) struct Cache {
    /// IPv4 addresses written the one way the scanner accepts them (no leading zeros), per
    /// rule number: the address as an integer and the pseudonym's 24 bits, 8 bytes an entry.
    /// Access logs hold tens of thousands of clients: entries a sixth the size of the
    /// generic table's keep more of them in the CPU's caches.
    v4: Vec<(usize, HashMap<u32, u32, foldhash::fast::RandomState>)>,
    /// Other values of at most 16 bytes (most names), packed in an integer with their rule
    /// number and length: nothing allocates, and a probe compares integers.
    short: Table<(u128, u32)>,
    /// Everything else: the rule number's 8 bytes, then the value.
    other: Table<Box<[u8]>>,
    /// Key bytes in `other`.
    other_bytes: usize,
    /// Where a key for `other` is put together.
    scratch: Vec<u8>,
}

type Table<K> = HashMap<K, [u8; 6], foldhash::fast::RandomState>;

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values.
        f.write_str("Cache")
    }
}

/// Entries at most per table: 7/8 of 64 Ki buckets, so a table never grows past them (about
/// 3 MiB for short values).
const MEMO_ENTRIES: usize = (1 << 16) / 8 * 7;
/// IPv4 addresses at most per rule: 7/8 of 128 Ki buckets (about 1.2 MiB).
const V4_ENTRIES: usize = (1 << 17) / 8 * 7;
/// Key bytes at most in the table of longer values.
const MEMO_BYTES: usize = 4 << 20;

impl Cache {
    /// An empty cache.
    pub(crate) fn new() -> Self {
        Cache {
            v4: Vec::new(),
            short: Table::default(),
            other: Table::default(),
            other_bytes: 0,
            scratch: Vec::new(),
        }
    }

    /// As [`Pseudonymizer::write`]; `counter` identifies `prefix` (same counter, same prefix).
    /// False when the pseudonym came from the cache: this cache wrote it before.
    pub(crate) fn write(
        &mut self,
        p: &Pseudonymizer,
        counter: usize,
        prefix: &str,
        value: &[u8],
        out: &mut Vec<u8>,
    ) -> bool {
        if let Some(addr) = v4_key(value) {
            return self.write_v4(p, counter, prefix, addr, value, out);
        }
        let mut wrote = |hex: Option<&[u8; 6]>| write_hex(p, prefix, value, hex, out);
        if let Ok(counter) = u16::try_from(counter)
            && value.len() <= 16
        {
            let mut packed = [0u8; 16];
            packed[..value.len()].copy_from_slice(value);
            let key = (
                u128::from_le_bytes(packed),
                u32::from(counter) << 8 | value.len() as u32,
            );
            let Some(hex) = wrote(self.short.get(&key)) else {
                return false;
            };
            if self.short.len() >= MEMO_ENTRIES {
                self.short.clear();
            }
            self.short.insert(key, hex);
            return true;
        }
        self.scratch.clear();
        self.scratch
            .extend_from_slice(&(counter as u64).to_le_bytes());
        self.scratch.extend_from_slice(value);
        let Some(hex) = wrote(self.other.get(&self.scratch[..])) else {
            return false;
        };
        if self.other.len() >= MEMO_ENTRIES || self.other_bytes + self.scratch.len() > MEMO_BYTES {
            self.other.clear();
            self.other_bytes = 0;
        }
        self.other_bytes += self.scratch.len();
        self.other.insert(self.scratch[..].into(), hex);
        true
    }

    /// As [`Cache::write`] for a value the caller found to be the IPv4 address `addr`
    /// written the one way the scanner accepts (see `v4_key`): no second parse.
    pub(crate) fn write_v4(
        &mut self,
        p: &Pseudonymizer,
        counter: usize,
        prefix: &str,
        addr: u32,
        value: &[u8],
        out: &mut Vec<u8>,
    ) -> bool {
        debug_assert_eq!(v4_key(value), Some(addr));
        let mut wrote = |hex: Option<&[u8; 6]>| write_hex(p, prefix, value, hex, out);
        let table = match self.v4.iter().position(|(c, _)| *c == counter) {
            Some(i) => &mut self.v4[i].1,
            None => {
                self.v4.push((counter, HashMap::default()));
                &mut self.v4.last_mut().expect("just pushed").1
            }
        };
        let known = table.get(&addr).map(|&bits| hex6(bits));
        let Some(hex) = wrote(known.as_ref()) else {
            return false;
        };
        if table.len() >= V4_ENTRIES {
            table.clear();
        }
        // The hex is ours (`Pseudonymizer::write`), so it always decodes.
        let mut bits = [0u8; 4];
        if hex::decode_to_slice(hex, &mut bits[1..]).is_ok() {
            table.insert(addr, u32::from_be_bytes(bits));
        }
        true
    }
}

/// The six hex digits of a pseudonym kept as its 24 bits.
fn hex6(bits: u32) -> [u8; 6] {
    let mut hex = [0u8; 6];
    for (i, x) in bits.to_be_bytes()[1..].iter().enumerate() {
        hex[2 * i] = HEX[usize::from(x >> 4)];
        hex[2 * i + 1] = HEX[usize::from(x & 15)];
    }
    hex
}

/// Append the pseudonym for `value`: from `hex` when the cache had it (`None` returned),
/// else from the MAC (its hex returned, for the cache to keep).
fn write_hex(
    p: &Pseudonymizer,
    prefix: &str,
    value: &[u8],
    hex: Option<&[u8; 6]>,
    out: &mut Vec<u8>,
) -> Option<[u8; 6]> {
    match hex {
        Some(hex) => {
            out.extend_from_slice(prefix.as_bytes());
            out.push(b'-');
            out.extend_from_slice(hex);
            None
        }
        None => {
            p.write(prefix, value, out);
            let mut hex = [0u8; 6];
            hex.copy_from_slice(&out[out.len() - 6..]);
            Some(hex)
        }
    }
}

/// `value` as an integer when it is an IPv4 address written the one way `scan` accepts (four
/// decimal octets, no leading zeros), so that the integer stands for exactly one text.
fn v4_key(value: &[u8]) -> Option<u32> {
    if !(7..=15).contains(&value.len()) {
        return None;
    }
    match super::scan::parse_v4(value, 0) {
        Some((end, octets)) if end == value.len() => Some(u32::from_be_bytes(octets)),
        _ => None,
    }
}

/// The default key location: `$XDG_CONFIG_HOME/support-bundle/pseudonym.key`, else
/// `~/.config/support-bundle/pseudonym.key`.
pub fn default_key_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(x) if !x.is_empty() => PathBuf::from(x),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".config"),
    };
    Some(base.join("support-bundle").join("pseudonym.key"))
}

/// Read the key at `path`, creating it (random, 0600, atomically) when it does not exist.
pub fn load_or_create_key(path: &Path) -> Result<[u8; 32], String> {
    match fs::read(path) {
        Ok(bytes) => parse_key(&bytes).ok_or_else(|| {
            format!(
                "pseudonym key {}: expected 64 hex digits or 32 raw bytes",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key(path),
        Err(e) => Err(format!("pseudonym key {}: {e}", path.display())),
    }
}

/// Make sure the key at its default place `path` can be used, creating it if needed. `Err`
/// says why not when it can neither be read nor created there (a home that belongs to
/// someone else, a read-only file system), so the caller can fall back to a key for this
/// run. A key file that opens is left to [`load_or_create_key`], which reports a malformed
/// one as the error it is.
pub fn check_default_key(path: &Path) -> Result<(), String> {
    match fs::File::open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key(path)
            .map(|_| ())
            .map_err(|e| format!("cannot create the {e}")),
        Err(e) => Err(format!(
            "cannot read the pseudonym key {}: {e}",
            path.display()
        )),
    }
}

fn parse_key(bytes: &[u8]) -> Option<[u8; 32]> {
    let text = std::str::from_utf8(bytes).ok().map(str::trim);
    if let Some(t) = text
        && t.len() == 64
    {
        let mut key = [0u8; 32];
        if hex::decode_to_slice(t, &mut key).is_ok() {
            return Some(key);
        }
    }
    bytes.try_into().ok()
}

/// A random key that is never stored: pseudonyms stay consistent within one run only.
pub fn ephemeral_key() -> Result<[u8; 32], String> {
    let mut key = [0u8; 32];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut key))
        .map_err(|e| format!("pseudonym key: cannot read /dev/urandom: {e}"))?;
    Ok(key)
}

fn create_key(path: &Path) -> Result<[u8; 32], String> {
    let err = |e: std::io::Error| format!("pseudonym key {}: {e}", path.display());
    let mut key = [0u8; 32];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut key))
        .map_err(err)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(err)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".pseudonym.key.")
        .tempfile_in(&dir)
        .map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o600)).map_err(err)?;
    }
    writeln!(tmp, "{}", hex::encode(key)).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    // persist_noclobber: when two runs race, the first key wins and both use it.
    match tmp.persist_noclobber(path) {
        Ok(_) => Ok(key),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            let bytes = fs::read(path).map_err(err)?;
            parse_key(&bytes).ok_or_else(|| format!("pseudonym key {}: unreadable", path.display()))
        }
        Err(e) => Err(err(e.error)),
    }
}

/// `path` (absolute) under `root`, or as it is without one.
fn under(root: Option<&Path>, path: &str) -> PathBuf {
    match root {
        Some(r) => r.join(path.trim_start_matches('/')),
        None => PathBuf::from(path),
    }
}

/// This machine's host names: the short name and every FQDN `/etc/hosts` gives it, both for
/// this machine and, with `root`, for the system under it.
pub fn machine_hostnames(root: Option<&Path>) -> Vec<String> {
    let mut names = hostnames_of(None);
    if root.is_some() {
        names.extend(hostnames_of(root));
    }
    names.sort();
    names.dedup();
    names
}

fn hostnames_of(root: Option<&Path>) -> Vec<String> {
    let mut names = Vec::new();
    let short = fs::read_to_string(under(root, "/proc/sys/kernel/hostname"))
        .or_else(|_| fs::read_to_string(under(root, "/etc/hostname")))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| {
            root.is_none()
                .then(|| std::env::var("HOSTNAME").ok())
                .flatten()
        });
    let Some(full) = short else {
        return names;
    };
    // A system name may itself be the FQDN: its first label is the short name.
    let short = full.split('.').next().unwrap_or(&full).to_string();
    if full != short {
        names.push(full.clone());
    }
    if let Ok(hosts) = fs::read_to_string(under(root, "/etc/hosts")) {
        for line in hosts.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut fields = line.split_whitespace();
            let _addr = fields.next();
            let aliases: Vec<&str> = fields.collect();
            if aliases
                .iter()
                .any(|a| a.split('.').next() == Some(short.as_str()))
            {
                for a in aliases {
                    if a.starts_with(&format!("{short}.")) && !names.iter().any(|n| n == a) {
                        names.push(a.to_string());
                    }
                }
            }
        }
    }
    names.push(short);
    names.retain(|n| useful_identifier(n));
    names
}

/// The domains of this machine's FQDNs (`corp.example` of `web01.corp.example`). A domain of
/// one label (`lan`, `localdomain`) names nobody and is left out.
pub fn machine_domains(hostnames: &[String]) -> Vec<String> {
    let mut domains: Vec<String> = hostnames
        .iter()
        .filter_map(|h| h.split_once('.').map(|(_, d)| d.to_ascii_lowercase()))
        .filter(|d| d.contains('.') && !d.ends_with(".localdomain") && !d.ends_with(".local"))
        .collect();
    domains.sort();
    domains.dedup();
    domains
}

/// Local account names: the invoking user (`$USER`, `$SUDO_USER`, `$LOGNAME`), the accounts
/// of people in the passwd database (uid 1000 and up, or a home under `/home`; under `root`
/// when given) and the directories under `/home`.
pub fn machine_usernames(root: Option<&Path>) -> Vec<String> {
    let mut names: Vec<String> = ["USER", "SUDO_USER", "LOGNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .collect();
    if let Ok(passwd) = fs::read_to_string(under(root, "/etc/passwd")) {
        names.extend(passwd_people(&passwd));
    }
    if let Ok(dir) = fs::read_dir(under(root, "/home")) {
        for e in dir.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                names.extend(e.file_name().to_str().map(str::to_string));
            }
        }
    }
    names.sort();
    names.dedup();
    names.retain(|n| useful_identifier(n));
    names
}

/// Accounts of people in a passwd file: uid 1000 and up (but not `nobody`'s 65534), or a
/// home under `/home`. System accounts (`daemon`, `www-data`, `postgres`) are left alone.
fn passwd_people(passwd: &str) -> Vec<String> {
    passwd
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            let (name, uid, home) = (f.first()?, f.get(2)?.parse::<u32>().ok()?, f.get(5)?);
            let person = (1000..65534).contains(&uid) || home.starts_with("/home/");
            person.then(|| name.to_string())
        })
        .collect()
}

/// Names too short or too generic to replace everywhere they occur without wrecking text.
fn useful_identifier(name: &str) -> bool {
    name.len() >= 3 && !is_generic_name(name) && !name.bytes().any(|b| b.is_ascii_whitespace())
}

/// Account and host names so common that replacing them would wreck ordinary text.
pub(crate) fn is_generic_name(name: &str) -> bool {
    const GENERIC: &[&str] = &[
        "root",
        "nobody",
        "admin",
        "user",
        "guest",
        "daemon",
        "localhost",
        "ubuntu",
        "debian",
        "fedora",
        "centos",
        "runner",
        "build",
        "test",
        "(none)",
    ];
    GENERIC.contains(&name.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_line_reads_back_and_nothing_after_it_is_consumed() {
        let key = PseudonymKey([7u8; 32]);
        let mut stream = format!("{}rest", key.to_line()).into_bytes();
        let mut input = &stream[..];
        assert_eq!(PseudonymKey::read_from(&mut input).unwrap(), key);
        assert_eq!(input, b"rest");
        stream[3] = b'x';
        assert!(PseudonymKey::read_from(&mut &stream[..]).is_err());
        assert!(PseudonymKey::read_from(&mut &b"abc"[..]).is_err());
        assert_eq!(format!("{key:?}"), "PseudonymKey(..)");
    }

    #[test]
    fn hmac_matches_rfc4231_case_2_shape() {
        // RFC 4231 test case with a 32-byte key of 0x0b..; computed independently via the
        // definition H((K^opad) || H((K^ipad) || m)).
        let key = [0x0bu8; 32];
        let p = Pseudonymizer::new(&key);
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for i in 0..32 {
            ipad[i] ^= 0x0b;
            opad[i] ^= 0x0b;
        }
        let inner = Sha256::new()
            .chain_update(ipad)
            .chain_update(b"Hi There")
            .finalize();
        let want: [u8; 32] = Sha256::new()
            .chain_update(opad)
            .chain_update(inner)
            .finalize()
            .into();
        assert_eq!(p.mac(&[b"Hi ", b"There"]), want);
    }

    #[test]
    fn hmac_rfc4231_test_case_1() {
        // RFC 4231 4.2: key = 20 bytes of 0x0b (zero-padded to our 32), data "Hi There".
        let mut key = [0u8; 32];
        key[..20].copy_from_slice(&[0x0b; 20]);
        let p = Pseudonymizer::new(&key);
        // Zero padding to the block size is what HMAC does with a short key, so a 20-byte
        // key padded to 32 gives the RFC's answer.
        assert_eq!(
            hex::encode(p.mac(&[b"Hi There"])),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    #[test]
    fn key_file_is_created_0600_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/pseudonym.key");
        let a = load_or_create_key(&path).unwrap();
        let b = load_or_create_key(&path).unwrap();
        assert_eq!(a, b);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = load_or_create_key(&dir.path().join("other.key")).unwrap();
        assert_ne!(a, other);
    }

    #[test]
    fn bad_key_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        fs::write(&path, "short").unwrap();
        assert!(
            load_or_create_key(&path)
                .unwrap_err()
                .contains("64 hex digits")
        );
    }

    #[test]
    fn passwd_people_are_the_accounts_of_persons() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\
                      daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
                      kestrel:x:998:998::/var/lib/kestrel:/usr/sbin/nologin\n\
                      alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n\
                      olduser:x:500:500::/home/olduser:/bin/sh\n\
                      nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
                      broken line\n";
        assert_eq!(passwd_people(passwd), ["alice", "olduser"]);
    }

    #[test]
    fn names_and_domains_come_from_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        fs::create_dir_all(&etc).unwrap();
        fs::write(etc.join("hostname"), "sentry7.ops.corp.example\n").unwrap();
        fs::write(
            etc.join("passwd"),
            "bob:x:1001:1001::/home/bob:/bin/sh\nab:x:1002:1002::/home/ab:/bin/sh\n",
        )
        .unwrap();
        let hosts = hostnames_of(Some(dir.path()));
        assert_eq!(hosts, ["sentry7.ops.corp.example", "sentry7"]);
        assert_eq!(machine_domains(&hosts), ["ops.corp.example"]);
        let users = machine_usernames(Some(dir.path()));
        assert!(users.contains(&"bob".to_string()), "{users:?}");
        assert!(!users.contains(&"ab".to_string()), "{users:?}");
    }

    #[test]
    fn pseudonyms_are_stable_and_case_folded() {
        let p = Pseudonymizer::new(&[7u8; 32]);
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        p.write("host", b"Web01", &mut a);
        p.write("host", b"web01", &mut b);
        p.write("ip", b"web01", &mut c);
        assert_eq!(a, b);
        assert_ne!(a[5..], c[3..]);
        assert_eq!(a.len(), "host-".len() + 6);
    }

    #[test]
    fn cache_gives_what_the_pseudonymizer_gives_even_when_full() {
        let p = Pseudonymizer::new(&[9u8; 32]);
        let mut memo = Cache::new();
        // More distinct values than fit, each written twice: hits, misses and emptying.
        let values: Vec<String> = (0..V4_ENTRIES * 2)
            .map(|i| match i % 3 {
                0 => format!("node-{i}.rack-{}.dc.example.internal", i % 17),
                _ => format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
            })
            .chain(["a".repeat(47), "Web01".into(), "web01".into()])
            .chain(["010.1.2.3", "10.1.2.3", "1.2.3.4.5", "255.255.255.255"].map(String::from))
            .collect();
        for round in 0..2 {
            for (i, v) in values.iter().enumerate() {
                let (prefix, counter) = if i % 2 == 0 { ("ip", 3) } else { ("host", 4) };
                let (mut want, mut got) = (b"x".to_vec(), b"x".to_vec());
                p.write(prefix, v.as_bytes(), &mut want);
                memo.write(&p, counter, prefix, v.as_bytes(), &mut got);
                assert_eq!(got, want, "round {round}, {v}");
            }
        }
        let mut out = Vec::new();
        assert!(memo.write(&p, 3, "ip", b"10.200.0.1", &mut out));
        assert!(!memo.write(&p, 3, "ip", b"10.200.0.1", &mut out));
        assert!(memo.write(&p, 4, "host", b"10.200.0.1", &mut out));
        assert!(!memo.write(&p, 4, "host", b"10.200.0.1", &mut out));
        assert!(memo.write(&p, 3, "ip", b"10.200.00.1", &mut out));
        // A value too long to pack, or a rule number past u16, is new once only: a
        // long host name on every line must not be reported (and kept) once per line.
        let long = "build-agent-0042.ci.eu-central-1.internal.corp.example";
        assert!(long.len() > 46);
        for (counter, prefix) in [(4, "host"), (70_000, "x")] {
            let (mut want, mut got) = (Vec::new(), Vec::new());
            p.write(prefix, long.as_bytes(), &mut want);
            assert!(memo.write(&p, counter, prefix, long.as_bytes(), &mut got));
            assert!(!memo.write(&p, counter, prefix, long.as_bytes(), &mut got));
            assert_eq!(got, [want.clone(), want].concat());
        }
    }
}

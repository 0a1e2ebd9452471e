//! The DNS wire format (RFC 1035), as much as the resolver needs: read a query, write an
//! answer. Hand-written and bounded: every read is checked, so no input panics.
//!
//! The resolver answers only what it holds. A name that is not ours gets SERVFAIL, which
//! makes Docker's embedded DNS try the container's next server (the real upstream); a
//! name that is ours gets NOERROR with the ready replicas' A records, TTL 0 so that no
//! cache outlives a replica's readiness.
//!
//! EDNS0 (RFC 6891): a query's OPT record raises the UDP limit to its payload size,
//! clamped to 512..=1232 (the DNS flag day 2020 size, which avoids IP fragmentation), and
//! the answer then carries an OPT record of its own, as the RFC requires of responders.

use std::net::Ipv4Addr;

const HEADER_LEN: usize = 12;
/// The longest name on the wire, length bytes and the root's zero included.
const MAX_NAME_WIRE_LEN: usize = 255;

const FLAG_QR: u16 = 0x8000;
const FLAG_AA: u16 = 0x0400;
const FLAG_TC: u16 = 0x0200;
const FLAG_RD: u16 = 0x0100;

pub const RCODE_NOERROR: u8 = 0;
pub const RCODE_FORMERR: u8 = 1;
pub const RCODE_SERVFAIL: u8 = 2;
pub const RCODE_NOTIMP: u8 = 4;

pub const TYPE_A: u16 = 1;
pub const TYPE_OPT: u16 = 41;
pub const TYPE_ANY: u16 = 255;
pub const CLASS_IN: u16 = 1;
pub const CLASS_ANY: u16 = 255;

/// The UDP limit without EDNS0 (RFC 1035 4.2.1).
pub const UDP_MAX_LEN: usize = 512;
/// The largest UDP answer sent, whatever a query's EDNS0 size says.
pub const EDNS_MAX_LEN: usize = 1232;
/// A TCP message's limit: its length prefix is two bytes.
pub const TCP_MAX_LEN: usize = 65535;

/// An A record whose name points at the question (offset 12): name pointer 2, type 2,
/// class 2, TTL 4, length 2, address 4.
const A_RECORD_LEN: usize = 16;
/// An OPT record: root name 1, type 2, size 2, extended rcode and flags 4, length 2.
const OPT_RECORD_LEN: usize = 11;

/// Why a packet is not a query the resolver answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    #[error("{0} bytes is shorter than a DNS header")]
    TooShort(usize),
    #[error("the packet is a response, not a query")]
    NotAQuery,
    #[error("opcode {0} is not a standard query")]
    Opcode(u8),
    #[error("{0} questions where a query has exactly one")]
    QuestionCount(u16),
    #[error("the packet ends inside a record, at byte {0}")]
    Truncated(usize),
    #[error(
        "label type {kind:#04x} at byte {at} (compression pointers are refused in a question)"
    )]
    LabelType { kind: u8, at: usize },
    #[error("the question's name is longer than 255 bytes")]
    NameTooLong,
}

impl DnsError {
    /// What to answer such a packet with, or `None` to drop it: a packet too short to
    /// carry an id cannot be answered, and answering a response could start a loop
    /// between two servers.
    pub fn reply_rcode(&self) -> Option<u8> {
        match self {
            DnsError::TooShort(_) | DnsError::NotAQuery => None,
            DnsError::Opcode(_) => Some(RCODE_NOTIMP),
            DnsError::QuestionCount(_)
            | DnsError::Truncated(_)
            | DnsError::LabelType { .. }
            | DnsError::NameTooLong => Some(RCODE_FORMERR),
        }
    }
}

/// A parsed query: its one question, and what the answer must echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub id: u16,
    pub recursion_desired: bool,
    /// The name as asked, case kept, labels joined with `.`, no trailing dot; bytes that
    /// are not printable ASCII, `.` and `\` inside a label are written `\DDD`
    /// (RFC 1035 5.1), so they can never match a served name by accident.
    pub name: String,
    pub qtype: u16,
    pub qclass: u16,
    /// The UDP payload size of the query's EDNS0 OPT record, if it had one.
    pub edns_udp_size: Option<u16>,
    /// The question's name as it came on the wire, echoed in the answer so that the
    /// asker's case (and any 0x20 randomization) comes back unchanged.
    wire_name: Vec<u8>,
}

impl Query {
    /// The largest UDP answer this query accepts.
    pub fn udp_max_len(&self) -> usize {
        match self.edns_udp_size {
            Some(size) => usize::from(size).clamp(UDP_MAX_LEN, EDNS_MAX_LEN),
            None => UDP_MAX_LEN,
        }
    }
}

/// Checked reads over a packet.
struct Reader<'a> {
    packet: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], DnsError> {
        let end = self
            .at
            .checked_add(len)
            .ok_or(DnsError::Truncated(self.at))?;
        let bytes = self
            .packet
            .get(self.at..end)
            .ok_or(DnsError::Truncated(self.at))?;
        self.at = end;
        Ok(bytes)
    }

    fn u8(&mut self) -> Result<u8, DnsError> {
        self.take(1).map(|bytes| bytes[0])
    }

    fn u16(&mut self) -> Result<u16, DnsError> {
        self.take(2)
            .map(|bytes| u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    /// A question's name, uncompressed: its wire bytes and its presentation form.
    fn question_name(&mut self) -> Result<(Vec<u8>, String), DnsError> {
        let start = self.at;
        let mut name = String::new();
        loop {
            let at = self.at;
            let len = self.u8()?;
            if len & 0xC0 != 0 {
                return Err(DnsError::LabelType { kind: len, at });
            }
            if len == 0 {
                break;
            }
            let label = self.take(usize::from(len))?;
            if self.at - start > MAX_NAME_WIRE_LEN {
                return Err(DnsError::NameTooLong);
            }
            if !name.is_empty() {
                name.push('.');
            }
            for &byte in label {
                if byte.is_ascii_graphic() && byte != b'.' && byte != b'\\' {
                    name.push(char::from(byte));
                } else {
                    name.push_str(&format!("\\{byte:03}"));
                }
            }
        }
        if self.at - start > MAX_NAME_WIRE_LEN {
            return Err(DnsError::NameTooLong);
        }
        Ok((self.packet[start..self.at].to_vec(), name))
    }

    /// Steps over a record's name, which may end in a compression pointer. Pointers are
    /// never followed, so they cannot loop.
    fn skip_name(&mut self) -> Result<(), DnsError> {
        loop {
            let at = self.at;
            let len = self.u8()?;
            match len & 0xC0 {
                0x00 if len == 0 => return Ok(()),
                0x00 => {
                    self.take(usize::from(len))?;
                }
                0xC0 => {
                    self.u8()?;
                    return Ok(());
                }
                _ => return Err(DnsError::LabelType { kind: len, at }),
            }
        }
    }

    /// Steps over one resource record; returns its type, its class and whether its name
    /// was the root (an OPT record's must be).
    fn skip_record(&mut self) -> Result<(u16, u16, bool), DnsError> {
        let name_start = self.at;
        self.skip_name()?;
        let root = self.at == name_start + 1;
        let rtype = self.u16()?;
        let class = self.u16()?;
        self.take(4)?;
        let len = self.u16()?;
        self.take(usize::from(len))?;
        Ok((rtype, class, root))
    }
}

/// Reads a query: the header, exactly one question, and the EDNS0 OPT record among the
/// additional records if there is one (its UDP payload size; the rest is ignored).
pub fn parse_query(packet: &[u8]) -> Result<Query, DnsError> {
    if packet.len() < HEADER_LEN {
        return Err(DnsError::TooShort(packet.len()));
    }
    let mut reader = Reader { packet, at: 0 };
    let id = reader.u16()?;
    let flags = reader.u16()?;
    let qdcount = reader.u16()?;
    let ancount = reader.u16()?;
    let nscount = reader.u16()?;
    let arcount = reader.u16()?;
    if flags & FLAG_QR != 0 {
        return Err(DnsError::NotAQuery);
    }
    let opcode = ((flags >> 11) & 0x0F) as u8;
    if opcode != 0 {
        return Err(DnsError::Opcode(opcode));
    }
    if qdcount != 1 {
        return Err(DnsError::QuestionCount(qdcount));
    }
    let (wire_name, name) = reader.question_name()?;
    let qtype = reader.u16()?;
    let qclass = reader.u16()?;
    // Each record takes at least 11 bytes, so these loops end with the packet.
    for _ in 0..u32::from(ancount) + u32::from(nscount) {
        reader.skip_record()?;
    }
    let mut edns_udp_size = None;
    for _ in 0..arcount {
        let (rtype, class, root) = reader.skip_record()?;
        if rtype == TYPE_OPT && root && edns_udp_size.is_none() {
            edns_udp_size = Some(class);
        }
    }
    Ok(Query {
        id,
        recursion_desired: flags & FLAG_RD != 0,
        name,
        qtype,
        qclass,
        edns_udp_size,
        wire_name,
    })
}

fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn set_u16(out: &mut [u8], at: usize, value: u16) {
    if let Some(slot) = out.get_mut(at..at + 2) {
        slot.copy_from_slice(&value.to_be_bytes());
    }
}

/// The answer to `query`. `None`: the name is not ours, SERVFAIL so that the asker tries
/// its next server. `Some(addresses)`: ours, authoritative; one A record per address for
/// qtype A or ANY in class IN (or ANY), none for any other type, so that an AAAA query
/// for a gated name is not sent upstream either.
///
/// At most `max_len` bytes (and never more than 65535): records that do not fit are left
/// out and TC is set. If not even the question fits, the answer is a bare 12-byte header
/// with TC (the one thing sent whatever `max_len` says).
pub fn respond(query: &Query, addresses: Option<&[Ipv4Addr]>, max_len: usize) -> Vec<u8> {
    let max_len = max_len.min(TCP_MAX_LEN);
    let opt_len = if query.edns_udp_size.is_some() {
        OPT_RECORD_LEN
    } else {
        0
    };
    let mut flags = FLAG_QR;
    if query.recursion_desired {
        flags |= FLAG_RD;
    }
    let answers: &[Ipv4Addr] = match addresses {
        None => {
            flags |= u16::from(RCODE_SERVFAIL);
            &[]
        }
        Some(addresses) => {
            flags |= FLAG_AA | u16::from(RCODE_NOERROR);
            let a_type = query.qtype == TYPE_A || query.qtype == TYPE_ANY;
            let in_class = query.qclass == CLASS_IN || query.qclass == CLASS_ANY;
            if a_type && in_class {
                addresses
            } else {
                &[]
            }
        }
    };

    let question_len = query.wire_name.len() + 4;
    let mut out = Vec::with_capacity(
        max_len.min(HEADER_LEN + question_len + answers.len() * A_RECORD_LEN + opt_len),
    );
    put_u16(&mut out, query.id);
    put_u16(&mut out, flags);
    out.extend_from_slice(&[0; 8]);
    if HEADER_LEN + question_len + opt_len > max_len {
        set_u16(&mut out, 2, flags | FLAG_TC);
        return out;
    }
    set_u16(&mut out, 4, 1);
    out.extend_from_slice(&query.wire_name);
    put_u16(&mut out, query.qtype);
    put_u16(&mut out, query.qclass);

    let room = (max_len - out.len() - opt_len) / A_RECORD_LEN;
    let fit = answers.len().min(room).min(usize::from(u16::MAX));
    if fit < answers.len() {
        set_u16(&mut out, 2, flags | FLAG_TC);
    }
    for address in &answers[..fit] {
        out.extend_from_slice(&[0xC0, 0x0C]);
        put_u16(&mut out, TYPE_A);
        put_u16(&mut out, CLASS_IN);
        out.extend_from_slice(&0u32.to_be_bytes());
        put_u16(&mut out, 4);
        out.extend_from_slice(&address.octets());
    }
    set_u16(&mut out, 6, u16::try_from(fit).unwrap_or(u16::MAX));

    if opt_len > 0 {
        out.push(0);
        put_u16(&mut out, TYPE_OPT);
        put_u16(&mut out, EDNS_MAX_LEN as u16);
        out.extend_from_slice(&0u32.to_be_bytes());
        put_u16(&mut out, 0);
        set_u16(&mut out, 10, 1);
    }
    out
}

/// A bare answer with `rcode` to a packet that could not be read as a query, or `None`
/// when it has no complete header to take the id from (then it is dropped).
pub fn error_reply(packet: &[u8], rcode: u8) -> Option<Vec<u8>> {
    let header = packet.get(..HEADER_LEN)?;
    let flags = u16::from_be_bytes([header[2], header[3]]);
    // Keep the opcode and RD; everything else is this answer's own.
    let flags = FLAG_QR | (flags & (0x7800 | FLAG_RD)) | u16::from(rcode & 0x0F);
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(&header[..2]);
    put_u16(&mut out, flags);
    out.extend_from_slice(&[0; 8]);
    Some(out)
}

/// FORMERR for a packet with at least a header, `None` (drop) for anything shorter.
pub fn formerr(packet: &[u8]) -> Option<Vec<u8>> {
    error_reply(packet, RCODE_FORMERR)
}

/// Builders and readers for tests here and in the server's.
#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
pub(crate) mod testing {
    use super::*;

    /// A query for `name` (dotted, an optional trailing dot) with RD set.
    pub(crate) fn query_packet(id: u16, name: &str, qtype: u16, edns: Option<u16>) -> Vec<u8> {
        let mut out = Vec::new();
        put_u16(&mut out, id);
        put_u16(&mut out, FLAG_RD);
        put_u16(&mut out, 1);
        put_u16(&mut out, 0);
        put_u16(&mut out, 0);
        put_u16(&mut out, u16::from(edns.is_some()));
        for label in name.strip_suffix('.').unwrap_or(name).split('.') {
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
        }
        out.push(0);
        put_u16(&mut out, qtype);
        put_u16(&mut out, CLASS_IN);
        if let Some(size) = edns {
            out.push(0);
            put_u16(&mut out, TYPE_OPT);
            put_u16(&mut out, size);
            out.extend_from_slice(&[0; 4]);
            put_u16(&mut out, 0);
        }
        out
    }

    /// What a test checks in an answer.
    #[derive(Debug, PartialEq, Eq)]
    pub(crate) struct Answer {
        pub id: u16,
        pub flags: u16,
        pub rcode: u8,
        pub questions: u16,
        pub addresses: Vec<Ipv4Addr>,
        pub additional: u16,
    }

    impl Answer {
        pub(crate) fn has(&self, flag: u16) -> bool {
            self.flags & flag != 0
        }
    }

    /// Reads an answer this module wrote; panics on anything else (tests only).
    pub(crate) fn read_answer(packet: &[u8]) -> Answer {
        let mut reader = Reader { packet, at: 0 };
        let id = reader.u16().unwrap();
        let flags = reader.u16().unwrap();
        let questions = reader.u16().unwrap();
        let answers = reader.u16().unwrap();
        assert_eq!(reader.u16().unwrap(), 0, "authority records");
        let additional = reader.u16().unwrap();
        for _ in 0..questions {
            reader.skip_name().unwrap();
            reader.take(4).unwrap();
        }
        let mut addresses = Vec::new();
        for _ in 0..answers {
            assert_eq!(reader.take(2).unwrap(), &[0xC0, 0x0C], "name pointer");
            assert_eq!(reader.u16().unwrap(), TYPE_A);
            assert_eq!(reader.u16().unwrap(), CLASS_IN);
            assert_eq!(reader.take(4).unwrap(), &[0, 0, 0, 0], "TTL");
            assert_eq!(reader.u16().unwrap(), 4);
            let octets = reader.take(4).unwrap();
            addresses.push(Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]));
        }
        for _ in 0..additional {
            reader.skip_record().unwrap();
        }
        assert_eq!(reader.at, packet.len(), "trailing bytes");
        Answer {
            id,
            flags,
            rcode: (flags & 0x0F) as u8,
            questions,
            addresses,
            additional,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::testing::{query_packet, read_answer};
    use super::*;

    const TYPE_AAAA: u16 = 28;
    const TYPE_MX: u16 = 15;

    fn addresses(n: usize) -> Vec<Ipv4Addr> {
        (0..n)
            .map(|i| Ipv4Addr::new(10, 0, (i / 256) as u8, (i % 256) as u8))
            .collect()
    }

    #[test]
    fn parses_a_query_with_and_without_the_trailing_dot_keeping_case() {
        for name in ["OrDeRs", "OrDeRs."] {
            let query = parse_query(&query_packet(0x1234, name, TYPE_A, None)).unwrap();
            assert_eq!(query.id, 0x1234);
            assert_eq!(query.name, "OrDeRs");
            assert_eq!(query.qtype, TYPE_A);
            assert_eq!(query.qclass, CLASS_IN);
            assert!(query.recursion_desired);
            assert_eq!(query.edns_udp_size, None);
            assert_eq!(query.udp_max_len(), 512);
        }
        let query = parse_query(&query_packet(1, "orders.shop.internal", TYPE_A, None)).unwrap();
        assert_eq!(query.name, "orders.shop.internal");
    }

    #[test]
    fn an_a_query_for_our_name_gets_authoritative_records_echoing_the_question() {
        let packet = query_packet(7, "OrDeRs", TYPE_A, None);
        let query = parse_query(&packet).unwrap();
        let ips = addresses(2);
        let reply = respond(&query, Some(&ips), UDP_MAX_LEN);
        let answer = read_answer(&reply);
        assert_eq!(answer.id, 7);
        assert_eq!(answer.rcode, RCODE_NOERROR);
        assert!(answer.has(FLAG_QR) && answer.has(FLAG_AA) && answer.has(FLAG_RD));
        assert!(!answer.has(FLAG_TC));
        assert_eq!(answer.flags & 0x0080, 0, "RA must not be set");
        assert_eq!(answer.questions, 1);
        assert_eq!(answer.addresses, ips);
        // The question, case included, comes back as asked.
        assert_eq!(&reply[12..packet.len()], &packet[12..]);
    }

    #[test]
    fn aaaa_mx_and_other_classes_for_our_name_get_no_data_not_servfail() {
        let ips = addresses(1);
        for qtype in [TYPE_AAAA, TYPE_MX] {
            let query = parse_query(&query_packet(1, "orders", qtype, None)).unwrap();
            let answer = read_answer(&respond(&query, Some(&ips), UDP_MAX_LEN));
            assert_eq!(answer.rcode, RCODE_NOERROR);
            assert!(answer.has(FLAG_AA));
            assert!(answer.addresses.is_empty());
        }
        let query = parse_query(&query_packet(1, "orders", TYPE_ANY, None)).unwrap();
        assert_eq!(
            read_answer(&respond(&query, Some(&ips), UDP_MAX_LEN)).addresses,
            ips
        );
        let mut chaos = parse_query(&query_packet(1, "orders", TYPE_A, None)).unwrap();
        chaos.qclass = 3;
        assert!(read_answer(&respond(&chaos, Some(&ips), UDP_MAX_LEN))
            .addresses
            .is_empty());
    }

    #[test]
    fn a_name_not_ours_gets_servfail_with_the_question_and_rd_copied() {
        let mut packet = query_packet(9, "example.com", TYPE_A, None);
        let query = parse_query(&packet).unwrap();
        let answer = read_answer(&respond(&query, None, UDP_MAX_LEN));
        assert_eq!(answer.rcode, RCODE_SERVFAIL);
        assert_eq!(answer.questions, 1);
        assert!(answer.has(FLAG_RD) && !answer.has(FLAG_AA));
        assert!(answer.addresses.is_empty());

        packet[2] &= !0x01; // RD off
        let query = parse_query(&packet).unwrap();
        let answer = read_answer(&respond(&query, None, UDP_MAX_LEN));
        assert!(!answer.has(FLAG_RD));
    }

    #[test]
    fn a_hundred_addresses_are_truncated_to_what_fits_in_512_bytes() {
        let query = parse_query(&query_packet(1, "orders", TYPE_A, None)).unwrap();
        let ips = addresses(100);
        let reply = respond(&query, Some(&ips), UDP_MAX_LEN);
        assert!(reply.len() <= 512);
        let answer = read_answer(&reply);
        assert!(answer.has(FLAG_TC));
        // 12 header + 12 question ("orders" is 8 bytes, then type and class) = 24.
        assert_eq!(answer.addresses.len(), (512 - 24) / 16);
        assert_eq!(answer.addresses[..], ips[..answer.addresses.len()]);

        let all = read_answer(&respond(&query, Some(&ips), TCP_MAX_LEN));
        assert!(!all.has(FLAG_TC));
        assert_eq!(all.addresses, ips);
    }

    #[test]
    fn edns_raises_the_udp_limit_within_bounds_and_is_answered_with_opt() {
        for (asked, limit) in [(4096, 1232), (1232, 1232), (800, 800), (100, 512)] {
            let query = parse_query(&query_packet(1, "orders", TYPE_A, Some(asked))).unwrap();
            assert_eq!(query.edns_udp_size, Some(asked));
            assert_eq!(query.udp_max_len(), limit);
            let reply = respond(&query, Some(&addresses(100)), query.udp_max_len());
            assert!(reply.len() <= limit);
            let answer = read_answer(&reply);
            assert_eq!(answer.additional, 1);
            assert_eq!(answer.addresses.len(), (limit - 24 - 11) / 16);
        }
        let query = parse_query(&query_packet(1, "nope", TYPE_A, Some(1232))).unwrap();
        assert_eq!(read_answer(&respond(&query, None, 1232)).additional, 1);
    }

    #[test]
    fn a_limit_below_the_question_gives_a_truncated_bare_header() {
        let query = parse_query(&query_packet(3, "orders", TYPE_A, None)).unwrap();
        let answer = read_answer(&respond(&query, Some(&addresses(1)), 20));
        assert!(answer.has(FLAG_TC));
        assert_eq!(answer.questions, 0);
        assert!(answer.addresses.is_empty());
    }

    #[test]
    fn formerr_keeps_the_id_and_needs_a_header() {
        let mut packet = query_packet(0xBEEF, "orders", TYPE_A, None);
        packet[5] = 2; // two questions
        assert_eq!(parse_query(&packet), Err(DnsError::QuestionCount(2)));
        let reply = formerr(&packet).unwrap();
        let answer = read_answer(&reply);
        assert_eq!(answer.id, 0xBEEF);
        assert_eq!(answer.rcode, RCODE_FORMERR);
        assert!(answer.has(FLAG_QR) && answer.has(FLAG_RD));
        assert_eq!(formerr(&packet[..11]), None);
        assert_eq!(formerr(&[]), None);
    }

    #[test]
    fn refuses_what_is_not_one_plain_question() {
        let good = query_packet(1, "orders", TYPE_A, None);
        assert_eq!(parse_query(&[]), Err(DnsError::TooShort(0)));
        assert_eq!(parse_query(&good[..11]), Err(DnsError::TooShort(11)));
        assert_eq!(parse_query(&good[..12]), Err(DnsError::Truncated(12)));
        assert_eq!(
            parse_query(&good[..good.len() - 1]),
            Err(DnsError::Truncated(good.len() - 2))
        );

        let mut response = good.clone();
        response[2] |= 0x80;
        assert_eq!(parse_query(&response), Err(DnsError::NotAQuery));
        assert_eq!(DnsError::NotAQuery.reply_rcode(), None);

        let mut notify = good.clone();
        notify[2] |= 4 << 3;
        assert_eq!(parse_query(&notify), Err(DnsError::Opcode(4)));
        assert_eq!(DnsError::Opcode(4).reply_rcode(), Some(RCODE_NOTIMP));

        // A label length past the end of the packet.
        let mut past_end = good[..12].to_vec();
        past_end.extend_from_slice(&[40, b'a', b'b']);
        assert_eq!(parse_query(&past_end), Err(DnsError::Truncated(13)));

        // A compression pointer to itself in the question.
        let mut pointer = good[..12].to_vec();
        pointer.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
        assert_eq!(
            parse_query(&pointer),
            Err(DnsError::LabelType { kind: 0xC0, at: 12 })
        );

        // 5 labels of 63 bytes: 320 bytes of name.
        let long = vec!["a".repeat(63); 5].join(".");
        assert_eq!(
            parse_query(&query_packet(1, &long, TYPE_A, None)),
            Err(DnsError::NameTooLong)
        );
        let longest = [
            &"a".repeat(63)[..],
            &"b".repeat(63),
            &"c".repeat(63),
            &"d".repeat(61),
        ]
        .join(".");
        assert!(parse_query(&query_packet(1, &longest, TYPE_A, None)).is_ok());
        let one_more = format!("{longest}e");
        assert_eq!(
            parse_query(&query_packet(1, &one_more, TYPE_A, None)),
            Err(DnsError::NameTooLong)
        );
    }

    #[test]
    fn odd_bytes_in_a_label_are_escaped_not_matched() {
        let mut packet = query_packet(1, "abc", TYPE_A, None);
        packet[14] = b'.';
        assert_eq!(parse_query(&packet).unwrap().name, "a\\046c");
        packet[14] = 0;
        assert_eq!(parse_query(&packet).unwrap().name, "a\\000c");
    }

    #[test]
    fn records_in_the_other_sections_are_skipped_even_with_pointer_loops() {
        // An answer record whose name is a pointer to itself: skipped, never followed.
        let mut packet = query_packet(1, "orders", TYPE_A, None);
        packet[7] = 1; // ANCOUNT
        let at = packet.len() as u8;
        packet.extend_from_slice(&[0xC0, at, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]);
        assert_eq!(parse_query(&packet).unwrap().name, "orders");
        // A record that claims more rdata than there is.
        let rdlength = packet.len() - 5;
        packet[rdlength] = 200;
        assert!(matches!(parse_query(&packet), Err(DnsError::Truncated(_))));
    }

    /// xorshift64: deterministic, so a failure reproduces.
    struct Noise(u64);

    impl Noise {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Parses and answers with every limit; must not panic, and answers stay in bounds.
    fn exercise(packet: &[u8]) {
        let ips = addresses(40);
        match parse_query(packet) {
            Ok(query) => {
                for max_len in [0, 12, 100, query.udp_max_len(), TCP_MAX_LEN, usize::MAX] {
                    for ours in [None, Some(&ips[..])] {
                        let reply = respond(&query, ours, max_len);
                        assert!(reply.len() <= max_len.clamp(HEADER_LEN, TCP_MAX_LEN));
                    }
                }
            }
            Err(error) => {
                let reply = error
                    .reply_rcode()
                    .and_then(|rcode| error_reply(packet, rcode));
                assert_eq!(
                    reply.is_some(),
                    packet.len() >= 12 && error.reply_rcode().is_some()
                );
            }
        }
        let _ = formerr(packet);
    }

    #[test]
    fn garbage_never_panics() {
        let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
        for len in 0..64 {
            let packet: Vec<u8> = (0..len).map(|_| noise.next() as u8).collect();
            exercise(&packet);
        }
        let seeds = [
            query_packet(1, "orders", TYPE_A, None),
            query_packet(2, "Orders.Shop.", TYPE_AAAA, Some(4096)),
        ];
        for seed in &seeds {
            for cut in 0..=seed.len() {
                exercise(&seed[..cut]);
            }
            for _ in 0..20_000 {
                let mut packet = seed.clone();
                for _ in 0..=noise.below(4) {
                    let at = noise.below(packet.len());
                    match noise.below(4) {
                        0 => packet[at] = noise.next() as u8,
                        1 => packet[at] = 0xC0,
                        2 => packet.truncate(at),
                        _ => packet.insert(at, noise.next() as u8),
                    }
                    if packet.is_empty() {
                        break;
                    }
                }
                exercise(&packet);
            }
        }
    }
}

//! The pickle opcode table for protocols 0-5: every opcode's byte, name, argument layout and the
//! protocol that introduced it (the same data as CPython's `pickletools.opcodes`).

/// How an opcode's argument is laid out in the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArgKind {
    /// No argument.
    None,
    /// One unsigned byte.
    U1,
    /// Two-byte little-endian unsigned integer.
    U2,
    /// Four-byte little-endian signed integer (BININT).
    I4,
    /// Four-byte little-endian unsigned integer (LONG_BINGET, LONG_BINPUT, EXT4).
    U4,
    /// Eight-byte big-endian float (BINFLOAT).
    F8,
    /// Eight-byte little-endian unsigned integer with nothing following (FRAME).
    U8,
    /// One line ending in `\n` (text protocol).
    Line,
    /// Two lines ending in `\n` (GLOBAL and INST: module, then name).
    TwoLines,
    /// One-byte length, then that many bytes.
    Len1,
    /// Four-byte signed length, then that many bytes (BINSTRING, LONG4; negative is an error).
    Len4Signed,
    /// Four-byte unsigned length, then that many bytes.
    Len4,
    /// Eight-byte unsigned length, then that many bytes.
    Len8,
}

/// One opcode of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OpInfo {
    pub code: u8,
    pub name: &'static str,
    pub arg: ArgKind,
    pub proto: u8,
}

macro_rules! opcodes {
    ($($konst:ident = $code:literal, $arg:ident, $proto:literal;)*) => {
        $(pub(crate) const $konst: u8 = $code;)*

        /// Every opcode, in table order.
        #[cfg(test)]
        pub(crate) const ALL: &[OpInfo] = &[
            $(OpInfo { code: $code, name: stringify!($konst), arg: ArgKind::$arg, proto: $proto },)*
        ];

        /// The opcode with this byte, if any.
        pub(crate) fn info(code: u8) -> Option<&'static OpInfo> {
            match code {
                $($code => Some(&OpInfo { code: $code, name: stringify!($konst), arg: ArgKind::$arg, proto: $proto }),)*
                _ => None,
            }
        }
    };
}

opcodes! {
    // protocol 0 and 1
    MARK = b'(', None, 0;
    STOP = b'.', None, 0;
    POP = b'0', None, 0;
    POP_MARK = b'1', None, 1;
    DUP = b'2', None, 0;
    FLOAT = b'F', Line, 0;
    INT = b'I', Line, 0;
    BININT = b'J', I4, 1;
    BININT1 = b'K', U1, 1;
    LONG = b'L', Line, 0;
    BININT2 = b'M', U2, 1;
    NONE = b'N', None, 0;
    PERSID = b'P', Line, 0;
    BINPERSID = b'Q', None, 1;
    REDUCE = b'R', None, 0;
    STRING = b'S', Line, 0;
    BINSTRING = b'T', Len4Signed, 1;
    SHORT_BINSTRING = b'U', Len1, 1;
    UNICODE = b'V', Line, 0;
    BINUNICODE = b'X', Len4, 1;
    APPEND = b'a', None, 0;
    BUILD = b'b', None, 0;
    GLOBAL = b'c', TwoLines, 0;
    DICT = b'd', None, 0;
    EMPTY_DICT = b'}', None, 1;
    APPENDS = b'e', None, 1;
    GET = b'g', Line, 0;
    BINGET = b'h', U1, 1;
    INST = b'i', TwoLines, 0;
    LONG_BINGET = b'j', U4, 1;
    LIST = b'l', None, 0;
    EMPTY_LIST = b']', None, 1;
    OBJ = b'o', None, 1;
    PUT = b'p', Line, 0;
    BINPUT = b'q', U1, 1;
    LONG_BINPUT = b'r', U4, 1;
    SETITEM = b's', None, 0;
    TUPLE = b't', None, 0;
    EMPTY_TUPLE = b')', None, 1;
    SETITEMS = b'u', None, 1;
    BINFLOAT = b'G', F8, 1;
    // protocol 2
    PROTO = 0x80, U1, 2;
    NEWOBJ = 0x81, None, 2;
    EXT1 = 0x82, U1, 2;
    EXT2 = 0x83, U2, 2;
    EXT4 = 0x84, U4, 2;
    TUPLE1 = 0x85, None, 2;
    TUPLE2 = 0x86, None, 2;
    TUPLE3 = 0x87, None, 2;
    NEWTRUE = 0x88, None, 2;
    NEWFALSE = 0x89, None, 2;
    LONG1 = 0x8a, Len1, 2;
    LONG4 = 0x8b, Len4Signed, 2;
    // protocol 3
    BINBYTES = b'B', Len4, 3;
    SHORT_BINBYTES = b'C', Len1, 3;
    // protocol 4
    SHORT_BINUNICODE = 0x8c, Len1, 4;
    BINUNICODE8 = 0x8d, Len8, 4;
    BINBYTES8 = 0x8e, Len8, 4;
    EMPTY_SET = 0x8f, None, 4;
    ADDITEMS = 0x90, None, 4;
    FROZENSET = 0x91, None, 4;
    NEWOBJ_EX = 0x92, None, 4;
    STACK_GLOBAL = 0x93, None, 4;
    MEMOIZE = 0x94, None, 4;
    FRAME = 0x95, U8, 4;
    // protocol 5
    BYTEARRAY8 = 0x96, Len8, 5;
    NEXT_BUFFER = 0x97, None, 5;
    READONLY_BUFFER = 0x98, None, 5;
}

/// The highest protocol this table knows (and CPython accepts).
pub(crate) const HIGHEST_PROTOCOL: u8 = 5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        assert_eq!(ALL.len(), 68);
        for op in ALL {
            assert_eq!(info(op.code), Some(op));
        }
        let mut codes: Vec<u8> = ALL.iter().map(|o| o.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ALL.len(), "duplicate opcode byte");
        assert!(info(0x00).is_none());
        assert!(info(0x99).is_none());
        assert!(info(b'#').is_none());
    }
}

//! Bounds-checked reads from peer input: every read returns `None` instead of panicking.

/// Splits the first `n` bytes off `buf`, or returns `None` (leaving `buf` as it was) when fewer
/// than `n` remain.
pub(crate) fn take<'a>(buf: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (head, tail) = buf.split_at_checked(n)?;
    *buf = tail;
    Some(head)
}

/// Reads a fixed-size array.
pub(crate) fn take_array<const N: usize>(buf: &mut &[u8]) -> Option<[u8; N]> {
    take(buf, N).and_then(|s| <[u8; N]>::try_from(s).ok())
}

/// Byte offset of `rest` within `whole`, when `rest` is a suffix of it.
pub(crate) fn offset_in(whole: &[u8], rest: &[u8]) -> usize {
    whole.len().saturating_sub(rest.len())
}

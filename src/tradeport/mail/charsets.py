"""Decoding text whose declared charset is missing or wrong, as real mail often is."""

import codecs

from charset_normalizer import from_bytes

# Labels seen in the wild, mapped to the codec that decodes everything they are used for.
# GB2312 and GBK mail routinely carries GB18030-only characters; Big5 carries HKSCS ones.
ALIASES = {
    "gb2312": "gb18030", "gb_2312-80": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "euc-cn": "gb18030", "x-euc-cn": "gb18030", "chinese": "gb18030", "csgb2312": "gb18030",
    "big5": "big5hkscs", "x-big5": "big5hkscs", "cn-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949", "euc-kr": "cp949",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "utf-8", "ascii": "utf-8",
    "unicode-1-1-utf-7": "utf-7", "x-unknown": "", "unknown-8bit": "", "default": "",
}


def codec_for(label: str | None) -> str | None:
    """The Python codec to try for a declared charset label, or None when unusable."""
    if not label:
        return None
    label = label.strip().strip('"').lower()
    if not label.isascii():  # raw 8-bit junk where a label should be
        return None
    label = ALIASES.get(label, label)
    if not label:
        return None
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


# Where a guess is needed, these are the candidates for mail of Chinese exporters;
# an open guess mistakes short GBK strings for Korean.
GUESS_CODECS = ["utf_8", "gb18030", "big5hkscs", "cp1252", "shift_jis", "cp949", "koi8_r", "cp1251"]
SINGLE_BYTE = {"cp1252", "latin_1", "iso8859-1", "ascii"}


def _guess(data: bytes):
    return from_bytes(data, cp_isolation=GUESS_CODECS).best()


def decode(data: bytes, declared: str | None = None, defects: list[str] | None = None) -> str:
    """Text from bytes: the declared charset, then UTF-8, then a guess; never raises."""
    if not data:
        return ""
    codec = codec_for(declared)
    if codec in SINGLE_BYTE and sum(b > 0x7F for b in data) * 3 > len(data):
        # Chinese text labelled Western: a single-byte codec never fails, so ask which reading is real.
        guess = _guess(data)
        if guess is not None and guess.encoding in ("gb18030", "big5hkscs", "shift_jis", "cp949"):
            if defects is not None:
                defects.append(f"charset {declared!r} was wrong; decoded as {guess.encoding}")
            return str(guess)
    tried = []
    # Non-ASCII bytes that form valid UTF-8 are UTF-8 whatever the label says: other
    # encodings almost never produce valid UTF-8 by chance, and mislabelled UTF-8 is common.
    order = ("utf-8", codec_for(declared)) if not data.isascii() else (codec_for(declared), "utf-8")
    for codec in order:
        if codec and codec not in tried:
            tried.append(codec)
            try:
                return data.decode(codec)
            except (UnicodeDecodeError, LookupError):
                continue
    guess = _guess(data)
    if guess is not None and guess.encoding:
        if defects is not None and declared:
            defects.append(f"charset {declared!r} was wrong; decoded as {guess.encoding}")
        return str(guess)
    if defects is not None:
        defects.append("undecodable text; some characters were replaced")
    return data.decode(codec_for(declared) or "utf-8", errors="replace")

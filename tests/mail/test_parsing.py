"""`tradeport.mail.parsing.parse_message` on real-world mail.

The fixtures in tests/mail/fixtures/ were written by make_fixtures.py (read it
for how each one was built and which client it imitates). The parser is pure,
so none of these tests touches the database.
"""

import datetime
import hashlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tradeport.mail.parsing import Address, NotAnEmail, ParsedMessage, parse_message

from . import make_fixtures

FIXTURES = Path(__file__).parent / "fixtures"
ALL_FIXTURES = sorted(FIXTURES.glob("*.eml"))
UTC = datetime.UTC


def parse(name: str) -> ParsedMessage:
    return parse_message((FIXTURES / name).read_bytes())


class _Images(HTMLParser):
    """The attributes of every <img> of a piece of HTML, entities resolved as a browser would."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[dict[str, str]] = []
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            self.attributes.append((tag, name, value or ""))
        if tag == "img":
            self.images.append({name: value or "" for name, value in attrs})


def images_of(html: str) -> _Images:
    parser = _Images()
    parser.feed(html)
    parser.close()
    return parser


def strings_of(parsed: ParsedMessage):
    """Every text value of a result (recursing into attached messages), with where it came from."""
    yield "subject", parsed.subject
    for label, addresses in (("from", [parsed.from_] if parsed.from_ else []), ("to", parsed.to),
                             ("cc", parsed.cc), ("reply_to", parsed.reply_to)):
        for address in addresses:
            yield f"{label}.name", address.name
            yield f"{label}.address", address.address
    yield "message_id", parsed.message_id
    yield "in_reply_to", parsed.in_reply_to
    yield from (("references", ref) for ref in parsed.references)
    yield "text", parsed.text
    yield "html", parsed.html
    yield from (("defect", defect) for defect in parsed.defects)
    for attachment in parsed.attachments:
        yield "attachment.filename", attachment.filename
        yield "attachment.content_id", attachment.content_id
        if attachment.message is not None:
            yield from strings_of(attachment.message)


# --- the fixture set as a whole ---------------------------------------------------------

def test_fixture_set_has_at_least_25_messages_all_with_crlf_line_endings():
    """MAIL-20: the intake test corpus is at least 25 .eml files, stored as they arrive (CRLF only)."""
    assert len(ALL_FIXTURES) >= 25
    for path in ALL_FIXTURES:
        data = path.read_bytes()
        assert data.count(b"\n") == data.count(b"\r\n"), f"{path.name} has bare LF line endings"


@pytest.mark.parametrize("path", ALL_FIXTURES, ids=lambda p: p.name)
def test_every_fixture_parses_without_raising(path):
    """MAIL-01, MAIL-20: one bad message never stops the batch: every fixture parses into a result."""
    parsed = parse_message(path.read_bytes())
    assert isinstance(parsed, ParsedMessage)
    assert parsed.subject or parsed.from_ is not None


@pytest.mark.parametrize("path", ALL_FIXTURES, ids=lambda p: p.name)
def test_every_text_value_of_the_result_is_storable_unicode(path):
    """MAIL-01, MAIL-20: subject, names, body, filenames and defects can be stored as UTF-8.

    Raw 8-bit bytes must not leak out as lone surrogates (from surrogateescape),
    which PostgreSQL and JSON refuse.
    """
    parsed = parse_message(path.read_bytes())
    for where, value in strings_of(parsed):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            pytest.fail(f"{where} is not valid Unicode: {value!r}")


@pytest.mark.parametrize("raw", [b"", b"   \r\n\r\n", b"\x00\x01binary", b"hello world\n"],
                         ids=["empty", "blank-lines", "binary", "one-word-line"])
def test_bytes_that_are_not_an_email_raise_not_an_email(raw):
    """MAIL-20: bytes with no header at all raise NotAnEmail, so the caller quarantines them raw."""
    with pytest.raises(NotAnEmail):
        parse_message(raw)


def test_not_an_email_is_a_value_error():
    """MAIL-20: NotAnEmail is a ValueError subclass, so generic intake error handling catches it."""
    assert issubclass(NotAnEmail, ValueError)


# --- charsets ---------------------------------------------------------------------------

def test_gb2312_label_with_gbk_only_characters_gives_readable_subject_sender_and_body():
    """MAIL-01: Foxmail labels GBK as gb2312; 镕 and 堃 (GBK-only) still read via the gb18030 ladder."""
    parsed = parse("gbk_labelled_gb2312_subject.eml")
    assert parsed.subject == "关于朱镕基路项目LED灯带的报价"
    assert parsed.from_ == Address("王堃", "wangkun@hzled.com.cn")
    assert "您好！附件是朱镕基路项目LED灯带的报价，请查收。" in parsed.text
    assert "王堃" in parsed.text
    assert "朱镕基路项目" in parsed.html
    assert parsed.date == datetime.datetime(2024, 3, 5, 6, 22, 10, tzinfo=UTC)


def test_big5_label_with_hkscs_characters_gives_readable_subject_and_body():
    """MAIL-01: Big5-labelled Cantonese with HKSCS-only 嘅, 哋, 㗎 reads via big5hkscs."""
    parsed = parse("big5_hkscs_body.eml")
    assert parsed.subject == "呢份係我哋嘅報價單"
    assert "你好，呢份係我哋嘅報價單，唔該你睇下啲價錢啱唔啱。" in parsed.text
    assert "冇問題就回覆我㗎" in parsed.text
    assert parsed.from_ == Address("Wong, Mandy", "mandy.wong@hk-trading.com.hk")


def test_gbk_body_without_declared_charset_is_guessed_readably():
    """MAIL-01, READ-06: an 8-bit body with no charset parameter is guessed (charset-normalizer) as Chinese."""
    parsed = parse("undeclared_charset_gbk_body.eml")
    assert "感谢您对我公司产品的关注" in parsed.text
    assert "深圳市光明照明科技有限公司" in parsed.text


def test_utf8_bytes_labelled_iso8859_are_read_as_utf8():
    """MAIL-01: valid UTF-8 labelled ISO-8859-1 (subject and body) is read as UTF-8, not as mojibake."""
    parsed = parse("utf8_labelled_iso8859.eml")
    assert parsed.subject == "Angebot für Müller GmbH – 报价"
    assert "Sehr geehrte Frau Müller," in parsed.text
    assert "您好，附件是报价。" in parsed.text
    assert parsed.from_ == Address("Jürgen Weiß", "juergen.weiss@shop.example.de")


def test_raw_utf8_headers_are_decoded():
    """MAIL-01: raw 8-bit UTF-8 in Subject/From/To (no encoded words) comes out readable."""
    parsed = parse("raw_8bit_utf8_headers.eml")
    assert parsed.subject == "报价单 – 2024年新款太阳能灯"
    assert parsed.from_ == Address("张伟", "zhangwei@example-buyer.cn")
    assert parsed.to == [Address("外贸部", "sales@tradeport.example")]
    assert parsed.text.strip() == "请报最新价格，谢谢。"


def test_raw_gbk_headers_are_decoded():
    """MAIL-01: raw 8-bit GBK in Subject/From (old Chinese servers) comes out as the Chinese text.

    Short GBK strings are too short for charset-normalizer alone; the body's
    declared charset (gbk) or a gb18030 try is needed.
    """
    parsed = parse("raw_8bit_gbk_headers.eml")
    assert parsed.subject == "关于春季广交会样品的报价确认"
    assert parsed.from_ == Address("李娜", "lina@gz-fair.cn")
    assert parsed.text.strip() == "样品已经寄出，请注意查收。"


def test_gb18030_four_byte_characters_in_qq_mail_are_read():
    """MAIL-01: QQ Mail's gb18030 label, with four-byte characters 𠮷 and 䶮 in subject, name and bodies."""
    parsed = parse("qq_mail_gb18030_four_byte.eml")
    assert parsed.subject == "𠮷野家餐具订单"
    assert parsed.from_ == Address("刘䶮", "10001@qq.com")
    assert parsed.text.strip() == "𠮷野家餐具订单，刘䶮。"
    assert "<div>𠮷野家餐具订单，刘䶮。</div>" in parsed.html
    assert "<meta" not in parsed.html


def test_x_gbk_alias_is_decoded_in_subject_and_body():
    """MAIL-01: the x-gbk alias (Java mailers) is read as GBK, in a Q encoded word and in the body."""
    parsed = parse("x_gbk_alias.eml")
    assert parsed.subject == "订单已发货通知"
    assert parsed.text.strip() == "您的订单已经发货，运单号SF1234567890。"


def test_gbk_body_mislabelled_iso8859_is_not_read_as_latin_mojibake():
    """MAIL-01: a GBK body relabelled ISO-8859-1 by a gateway reads as Chinese, not as 'ÄúºÃ…'."""
    parsed = parse("gbk_labelled_iso8859.eml")
    assert parsed.text.strip() == "您好，价格已经确认，我们下周安排生产。谢谢！"


def test_gbk_body_mislabelled_us_ascii_is_guessed_and_the_defect_recorded():
    """MAIL-01: GBK bytes under a us-ascii label fall back to a guess; the wrong label is listed in defects."""
    parsed = parse("gbk_labelled_us_ascii.eml")
    assert "本周共发货三十二个集装箱" in parsed.text
    assert any("us-ascii" in defect for defect in parsed.defects)


def test_utf7_subject_and_body_are_decoded():
    """MAIL-01, READ-06: UTF-7 (Exchange) in an encoded-word subject and in the body."""
    parsed = parse("utf7_body.eml")
    assert parsed.subject == "Muster für 北京"
    assert parsed.text.strip() == "Guten Tag, bitte senden Sie uns die Muster. 您好，请寄样品。"


# --- attachment names ------------------------------------------------------------------

def test_rfc2231_filenames_in_utf8_and_in_gbk_continuations_are_decoded():
    """MAIL-01, MBOX-10: RFC 2231 names (UTF-8 whole, GBK in *0*/*1* pieces); size and hash describe the bytes."""
    parsed = parse("rfc2231_filename_chinese.eml")
    names = [attachment.filename for attachment in parsed.attachments]
    assert names == ["2024年春季产品报价单.pdf", "深圳市华强电子有限公司产品目录.xlsx"]
    pdf = parsed.attachments[0]
    assert pdf.content_type == "application/pdf"
    assert pdf.content.startswith(b"%PDF-1.4")
    assert pdf.size == len(pdf.content)
    assert pdf.sha256 == hashlib.sha256(pdf.content).hexdigest()
    assert not pdf.inline
    assert parsed.text.strip() == "附件是报价单和产品目录。"


def test_rfc2047_encoded_words_inside_quoted_filename_parameters_are_decoded():
    """MAIL-01: Outlook/QQ put encoded words in filename="…", even split inside a UTF-8 character."""
    parsed = parse("rfc2047_in_filename_param.eml")
    assert [attachment.filename for attachment in parsed.attachments] == [
        "订单确认书.xls", "福建省厦门市进出口贸易有限公司2024年第一季度订单明细.xls"]
    assert parsed.text == "请查收订单。"


def test_raw_gbk_attachment_name_is_decoded():
    """MAIL-01: a Foxmail 6 attachment name in raw GBK bytes comes out as 样品确认单.doc."""
    parsed = parse("raw_gbk_filename.eml")
    assert parsed.subject == "样品确认"
    assert [attachment.filename for attachment in parsed.attachments] == ["样品确认单.doc"]
    assert parsed.attachments[0].content.startswith(b"\xd0\xcf\x11\xe0")
    assert "附件是样品确认单" in parsed.text


# --- uuencode, TNEF -------------------------------------------------------------------

def test_uuencoded_files_are_taken_out_of_the_text_as_attachments():
    """MAIL-01, MBOX-10: uuencoded blocks in a plain body become attachments (GBK name read), text stays."""
    parsed = parse("uuencoded_attachment.eml")
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("price_list.csv", "text/csv"), ("样品照片.png", "image/png")]
    assert parsed.attachments[0].content == make_fixtures.UU_TEXT
    assert parsed.attachments[1].content == make_fixtures.UU_PHOTO
    assert "Please find our price list attached." in parsed.text
    assert "Best regards," in parsed.text
    assert "begin 644" not in parsed.text
    assert "end" not in [line.strip() for line in parsed.text.splitlines()]


def test_tnef_winmail_dat_is_unpacked_into_its_attachment_and_body():
    """MAIL-01: a real winmail.dat gives its file under the Unicode long name and its code-page-936 body."""
    parsed = parse("winmail_dat.eml")
    assert [a.filename for a in parsed.attachments] == ["报价单2024.pdf"]
    assert parsed.attachments[0].content == make_fixtures.PDF
    assert parsed.attachments[0].content_type == "application/pdf"
    assert "Please see the attached quotation." in parsed.text
    assert "请查收附件中的二〇二四年报价单" in parsed.text
    assert not any("winmail" in defect for defect in parsed.defects)


def test_unreadable_winmail_dat_is_kept_as_an_attachment_with_a_defect():
    """MAIL-01, MBOX-10: a winmail.dat that is not TNEF is kept as it is, and the problem is listed."""
    parsed = parse("winmail_dat_unreadable.eml")
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [("winmail.dat", "application/ms-tnef")]
    assert parsed.attachments[0].content.startswith(b"\x00\x11\x22\x33not a tnef")
    assert any(defect.startswith("unreadable winmail.dat") for defect in parsed.defects)
    assert parsed.text.strip() == "See attachment."


# --- DSN and MDN ------------------------------------------------------------------------

def test_postfix_bounce_is_a_dsn_with_recipient_status_diagnostic_and_original_id():
    """MAIL-01, MAIL-20: a Postfix bounce is recognised: failed recipient, 5.1.1, diagnostic, original Message-ID."""
    parsed = parse("dsn_bounce.eml")
    assert parsed.kind == "dsn"
    assert parsed.dsn is not None, "the message/delivery-status part was not read"
    assert parsed.dsn.recipients == ["buyer@example-importer.com"]
    assert parsed.dsn.status == "5.1.1"
    assert parsed.dsn.diagnostic == ("550 5.1.1 <buyer@example-importer.com>: Recipient address rejected: "
                                     "User unknown in virtual mailbox table")
    assert parsed.dsn.original_message_id == "<quote-2024-0305@tradeport.example>"


def test_bounce_keeps_the_returned_message_as_a_parsed_attachment():
    """MAIL-01, READ-05: the returned original is an attached message/rfc822 with its own subject and id."""
    parsed = parse("dsn_bounce.eml")
    returned = [a for a in parsed.attachments if a.message is not None]
    assert len(returned) == 1
    assert returned[0].content_type == "message/rfc822"
    assert returned[0].message.message_id == "<quote-2024-0305@tradeport.example>"
    assert returned[0].message.subject == "Quotation 2024-0305"
    assert "This is the mail system at host mail.tradeport.example." in parsed.text
    assert "Dear buyer" not in parsed.text


def test_delay_warning_with_headers_only_gives_status_and_original_id():
    """MAIL-01: a delay DSN (text/rfc822-headers) gives the delayed recipient, 4.4.1 and the original id."""
    parsed = parse("dsn_delayed_headers_only.eml")
    assert parsed.kind == "dsn"
    assert parsed.dsn is not None, "the message/delivery-status part was not read"
    assert parsed.dsn.recipients == ["orders@slow-importer.example"]
    assert parsed.dsn.status == "4.4.1"
    assert parsed.dsn.original_message_id == "<pi-0305@tradeport.example>"


def test_read_receipt_is_an_mdn_with_original_message_id_and_disposition():
    """MAIL-01: an Outlook read receipt is recognised as an MDN naming the message that was read."""
    parsed = parse("mdn_read_receipt.eml")
    assert parsed.subject == "已读: Quotation 2024-0305"
    assert parsed.kind == "mdn"
    assert parsed.mdn is not None, "the message/disposition-notification part was not read"
    assert parsed.mdn.original_message_id == "<quote-2024-0305@tradeport.example>"
    assert parsed.mdn.disposition == "manual-action/MDN-sent-manually; displayed"


# --- attached messages ------------------------------------------------------------------

def test_forwarded_message_is_parsed_with_its_own_attachment():
    """MAIL-01, READ-05: a message/rfc822 attachment is parsed; its own attachment is reachable."""
    parsed = parse("forwarded_message_rfc822.eml")
    assert parsed.subject == "转发: 询价：LED灯带 5050 RGB"
    assert parsed.text.strip() == "经理，请看客户的询价，附件是原邮件。"
    [forwarded] = parsed.attachments
    assert forwarded.content_type == "message/rfc822"
    assert forwarded.filename == "询价：LED灯带 5050 RGB.eml"
    inner = forwarded.message
    assert inner is not None
    assert inner.subject == "询价：LED灯带 5050 RGB"
    assert inner.message_id == "<inquiry-778@example-dubai.ae>"
    assert inner.from_ == Address("Ahmed Khan", "ahmed@example-dubai.ae")
    assert inner.date == datetime.datetime(2024, 3, 16, 14, 0, tzinfo=UTC)
    assert "Please quote 10,000 m" in inner.text
    assert [a.filename for a in inner.attachments] == ["询价单.xlsx"]
    assert [a.filename for a in parsed.all_attachments()] == ["询价：LED灯带 5050 RGB.eml", "询价单.xlsx"]
    assert parse_message(forwarded.content).subject == "询价：LED灯带 5050 RGB"


# --- HTML -----------------------------------------------------------------------------

@pytest.mark.parametrize("style", [
    r"background:u\rl(http://tracker.example/a.gif)",
    r"background:\75 rl(http://tracker.example/a.gif)",
    "background:u/**/rl(http://tracker.example/a.gif)",
    "background-image: URL( 'http://tracker.example/a.gif' )",
])
def test_inline_styles_that_hide_a_remote_load_are_dropped(style):
    """READ-01: CSS escapes and comments cannot smuggle url() past the filter; the text stays."""
    from tradeport.mail.parsing import sanitise_html

    html, _remote = sanitise_html(f'<p style="{style}">Price list</p>')
    assert "tracker.example" not in html
    assert "Price list" in html


def test_html_loses_scripts_event_handlers_forms_frames_and_javascript_links():
    """READ-07: sanitised HTML keeps the text but no <script>, on* attribute, javascript:, iframe, form or CSS url()."""
    parsed = parse("html_with_remote_images_and_script.eml")
    html = parsed.html
    lowered = html.lower()
    assert "Dear buyer," in html
    assert "Special offer this week" in html
    for banned in ("<script", "alert(", "<style", "javascript:", "<iframe", "<form", "<input", "<svg", "url("):
        assert banned not in lowered, banned
    for tag, name, _value in images_of(html).attributes:
        assert not name.startswith("on"), f"<{tag} {name}> survived"
    assert 'href="https://example.com/catalog"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "Dear buyer, special offer this week." in parsed.text


def test_remote_images_are_blocked_into_data_remote_src():
    """READ-01, READ-07: remote <img> addresses move to data-remote-src; nothing loads until allowed."""
    parsed = parse("html_with_remote_images_and_script.eml")
    images = images_of(parsed.html).images
    assert parsed.has_remote_images is True
    assert [image.get("data-remote-src") for image in images] == [
        "http://track.example.com/open.gif?id=123", "https://static.example.com/logo.png",
        "//static.example.com/banner.jpg", "HTTPS://STATIC.EXAMPLE.COM/UPPER.PNG"]
    assert all("src" not in image for image in images)


def test_remote_images_written_with_entities_or_odd_quoting_are_blocked_too():
    """READ-01, READ-07: &#104;ttp://, &#x68;ttps:// and a '>' in an earlier attribute still get blocked.

    After sanitising, no <img> may keep a src that a browser would fetch.
    """
    parsed = parse("html_entity_encoded_remote_image.eml")
    images = images_of(parsed.html).images
    assert parsed.has_remote_images is True
    assert len(images) == 4
    for image in images:
        assert "src" not in image, f"remote image still loads: {image}"
        assert image["data-remote-src"].strip().lower().startswith(("http://", "https://"))


def test_cid_images_keep_their_src_and_are_served_from_the_message():
    """READ-01, READ-07: cid: images keep src="cid:…", are not counted as remote, and match a part's Content-ID."""
    parsed = parse("cid_inline_image.eml")
    sources = [image.get("src") for image in images_of(parsed.html).images]
    assert sources == ["cid:image001.png@01DA7A1B.2C3D4E50", "cid:_Foxmail.1@8a2c1f3e-5b7d-4c1e-9f00-aa11bb22cc33"]
    assert parsed.has_remote_images is False
    by_cid = {attachment.content_id: attachment for attachment in parsed.attachments}
    assert set(by_cid) == {"image001.png@01DA7A1B.2C3D4E50", "_Foxmail.1@8a2c1f3e-5b7d-4c1e-9f00-aa11bb22cc33"}
    assert all(attachment.content.startswith(b"\x89PNG") for attachment in by_cid.values())
    assert parsed.text == "您好，这是我们的新产品："


def test_cid_referenced_images_in_multipart_related_are_inline_not_attachments():
    """READ-01: images of multipart/related referenced by cid: are inline, also Foxmail's without Content-Disposition."""
    parsed = parse("cid_inline_image.eml")
    assert {(a.filename, a.inline) for a in parsed.attachments} == {
        ("image001.png", True), ("_Foxmail.1@8a2c1f3e-5b7d-4c1e-9f00-aa11bb22cc33", True)}


def test_nested_alternatives_give_one_text_one_html_an_inline_image_and_the_attachment():
    """READ-07: mixed > alternative > (plain, related > (html, image)) gives both views once, plus the files."""
    parsed = parse("nested_alternatives.eml")
    assert parsed.text.strip() == "Plain version: the samples arrived, photo inline."
    assert parsed.html.count("HTML version: the samples arrived.") == 1
    assert 'src="cid:photo@apple"' in parsed.html
    assert [(a.filename, a.content_type, a.inline, a.content_id) for a in parsed.attachments] == [
        ("photo.png", "image/png", True, "photo@apple"), ("invoice.pdf", "application/pdf", False, "")]
    assert parsed.has_remote_images is False


# --- headers --------------------------------------------------------------------------

def test_reply_chain_gives_utc_date_bracketed_ids_references_and_thread_subject():
    """MAIL-01: Gmail reply: date in UTC, ids with brackets, folded References as a list, prefixes stripped."""
    parsed = parse("reply_chain_threading_headers.eml")
    assert parsed.subject == "回复: 转发：Re: Fwd: RE：报价单 Q2"
    assert parsed.thread_subject == "报价单 q2"
    assert parsed.date == datetime.datetime(2024, 3, 27, 17, 30, tzinfo=UTC)
    assert parsed.date.utcoffset() == datetime.timedelta(0)
    assert parsed.message_id == "<CAB9q8w7e6r5@mail.gmail.com>"
    assert parsed.in_reply_to == "<reply-2@tradeport.example>"
    assert parsed.references == ["<quote-2024-0305@tradeport.example>", "<CAB1x2y3z4@mail.gmail.com>",
                                 "<reply-2@tradeport.example>"]
    assert parsed.to == [Address("Tradeport Sales", "sales@tradeport.example")]
    assert parsed.cc == [Address("Boss", "boss@example-importer.com")]
    assert parsed.text.startswith("好的，我们确认订单。")
    assert '<blockquote>原邮件</blockquote>' in parsed.html


@pytest.mark.parametrize(("subject", "expected"), [
    ("Re: Fwd: Quotation", "quotation"),
    ("回复：转发: 报价单", "报价单"),
    ("RE: 回复：样品寄送", "样品寄送"),
    ("Fw: AW: WG: Muster", "muster"),
    ("Re[2]: Order  no. 7", "order no. 7"),
    ("答复: 回覆：轉寄: 報價", "報價"),
    ("Reply about price", "reply about price"),
])
def test_thread_subject_strips_reply_and_forward_prefixes(subject, expected):
    """MAIL-01: threading without headers uses the subject without Re:/Fwd:/回复:/转发: (any case or colon width)."""
    assert ParsedMessage(subject=subject).thread_subject == expected


def test_missing_message_id_gives_empty_id_and_a_bare_in_reply_to_gets_brackets():
    """MAIL-01: no Message-ID gives ""; a bare In-Reply-To is bracketed; thread subject still works."""
    parsed = parse("missing_message_id.eml")
    assert parsed.message_id == ""
    assert parsed.in_reply_to == "<20240301.abc123@tradeport.example>"
    assert parsed.references == []
    assert parsed.thread_subject == "样品寄送"
    assert parsed.date == datetime.datetime(2024, 3, 20, 15, 0, tzinfo=UTC)
    assert parsed.from_ == Address("", "webform@example-site.com")


def test_unreadable_date_gives_none_and_a_readable_defect():
    """MAIL-01: a Date header in Chinese gives date None and a defect naming the date (in readable text)."""
    parsed = parse("broken_date.eml")
    assert parsed.date is None
    [defect] = [d for d in parsed.defects if d.startswith("unreadable date")]
    assert "三月" in defect
    assert parsed.text.strip() == "The date header cannot be read."


def test_folded_and_broken_headers_are_read():
    """MAIL-01: folded headers, split encoded words, glued 'Re:=?…', lower-case names, first duplicate wins."""
    parsed = parse("folded_and_broken_headers.eml")
    assert parsed.subject == "Re:关于2024年广交会展位预订的确认函"
    assert parsed.thread_subject == "关于2024年广交会展位预订的确认函"
    assert parsed.from_ == Address("刘洋", "liuyang@example-fair.cn")
    assert [a.address for a in parsed.to] == [
        "sales@tradeport.example", "manager@tradeport.example", "boss@tradeport.example"]
    assert parsed.cc == []
    assert parsed.message_id == "<folded-id-0321@example-fair.cn>"
    assert parsed.date == datetime.datetime(2024, 3, 21, 2, 0, tzinfo=UTC)
    assert parsed.text.strip() == "展位已确认。"


def test_address_lists_with_quoted_commas_groups_and_encoded_names():
    """MAIL-01: commas inside quotes or encoded words do not split; groups open up; addresses are lower case."""
    parsed = parse("address_list_with_quoted_commas.eml")
    assert parsed.from_ == Address("Wang, Fang", "fang.wang@example-importer.com")
    assert parsed.to == [
        Address("Smith, John (Sales)", "john.smith@example.com"),
        Address("李, 明", "liming@example.cn"),
        Address("陈红", "chenhong@example.cn"),
        Address("", "plain@example.org"),
    ]
    assert parsed.cc == [Address("Lee, Ann", "ann@example.com"), Address("", "bob@example.com")]
    assert parsed.reply_to == [Address("Orders, Dept.", "orders@example-importer.com")]
    assert any("nobody" in defect for defect in parsed.defects)
    assert str(parsed.from_) == "Wang, Fang <fang.wang@example-importer.com>"


def test_message_without_mime_version_is_plain_text():
    """MAIL-01, READ-07: a pre-MIME message gives its text, no HTML, no attachments, old-style From comment."""
    parsed = parse("no_mime_version.eml")
    assert parsed.subject == "Plain old mail"
    assert parsed.from_ == Address("Legacy Sender", "legacy@example.org")
    assert parsed.date == datetime.datetime(2024, 3, 23, 6, 0, tzinfo=UTC)
    assert parsed.text.replace("\r\n", "\n") == "This message has no MIME headers at all.\nSecond line.\n"
    assert parsed.html == ""
    assert parsed.attachments == []


def test_truncated_multipart_keeps_text_and_attachment_and_records_the_missing_boundary():
    """MAIL-01, MBOX-10: a cut-off message keeps its text and its attachment, with a defect saying so."""
    parsed = parse("truncated_multipart.eml")
    assert parsed.text.strip() == "The catalogue is attached."
    assert [a.filename for a in parsed.attachments] == ["catalogue.pdf"]
    assert "CloseBoundaryNotFoundDefect" in parsed.defects


def test_truncated_base64_attachment_is_decoded_as_far_as_it_goes():
    """MAIL-01, MBOX-10: a truncated base64 attachment holds the decoded bytes (not base64 text), with a defect."""
    parsed = parse("truncated_multipart.eml")
    [attachment] = parsed.attachments
    assert attachment.content.startswith(b"%PDF-1.4"), attachment.content[:20]
    assert any("Base64" in defect or "base64" in defect for defect in parsed.defects)


def test_message_with_headers_only_has_empty_body():
    """MAIL-01, READ-07: headers with no body give empty text and HTML and no attachments."""
    parsed = parse("empty_body.eml")
    assert parsed.subject == "(no body)"
    assert parsed.message_id == "<empty@example.com>"
    assert (parsed.text, parsed.html, parsed.attachments, parsed.has_remote_images) == ("", "", [], False)
    assert parsed.kind == "message"


def test_huge_header_lines_are_read_whole():
    """MAIL-01: a 15 kB References line gives all 300 ids; a 3,000-character subject is kept whole."""
    parsed = parse("huge_header_line.eml")
    assert parsed.references == make_fixtures.HUGE_REFERENCES
    assert parsed.in_reply_to == make_fixtures.HUGE_REFERENCES[-1]
    assert parsed.subject == "Re: " + "很长的主题" * 600
    assert parsed.thread_subject == "很长的主题" * 600
    assert parsed.text.strip() == "End of a long thread."


def test_ordinary_message_is_kind_message_without_dsn_or_mdn():
    """MAIL-01: ordinary mail is neither a bounce nor a read receipt."""
    parsed = parse("gbk_labelled_gb2312_subject.eml")
    assert (parsed.kind, parsed.dsn, parsed.mdn) == ("message", None, None)

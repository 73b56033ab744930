"""Hostile mail: one cross-site-scripting vector per message, for Tradeport's reading pane.

Every payload, if it ever ran, would leave three traces: `data-xss="N"` on the root element
of the document it ran in (checked in the page and in the sandboxed body frame), an alert()
(a dialog the test listens for) and N pushed onto the top page's `window.__xss`, which the
test defines with an init script. The vectors cover the mail body (tags, handlers, URL
schemes, sanitiser-confusing markup, encoded variants) and what the page itself renders:
the subject, the sender's display name, the recipients and the attachment names.
"""

import base64
from dataclasses import dataclass, field
from email import policy
from email.header import Header
from email.message import EmailMessage

SENDER = "Mallory <mallory@evil.example>"
MAILBOX = "info@tradeport.test"


def payload(n: int) -> str:
    """Script for vector N, written without quotes or spaces so it fits any attribute syntax."""
    return f"document.documentElement.dataset.xss={n};alert({n});top.__xss.push({n})"


def as_data_url(n: int) -> str:
    document = f"<script>{payload(n)}</script>".encode()
    return "data:text/html;base64," + base64.b64encode(document).decode()


def entities(text: str) -> str:
    """Every character as a decimal character reference, as filters that look for 'javascript:' miss."""
    return "".join(f"&#{ord(c)};" for c in text)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Vector:
    number: int
    name: str
    html: str = ""
    text: str = "Please see the HTML version of this message."
    subject: str = ""  # the raw Subject header; empty: "XSS NN: <name>"
    from_header: str = SENDER
    to_header: str = MAILBOX
    attachments: tuple[Attachment, ...] = ()
    # What the page must show literally, as text (the header vectors): field → expected text.
    literal: dict[str, str] = field(default_factory=dict)

    @property
    def message_id(self) -> str:
        return f"<xss-{self.number:02d}@evil.example>"

    @property
    def shown_subject(self) -> str:
        return self.literal.get("subject", f"XSS {self.number:02d}: {self.name}")

    def raw(self) -> bytes:
        body = EmailMessage()
        body.set_content(self.text)
        if self.html:
            body.add_alternative(self.html, subtype="html")
        for attachment in self.attachments:
            maintype, subtype = attachment.content_type.split("/")
            body.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)
        subject = self.subject or f"XSS {self.number:02d}: {self.name}"
        # The headers are written by hand: the email package would re-fold or re-quote them.
        head = (f"From: {self.from_header}\r\nTo: {self.to_header}\r\nSubject: {subject}\r\n"
                f"Date: Wed, 4 Mar 2026 09:{self.number:02d}:00 +0100\r\nMessage-ID: {self.message_id}\r\n")
        return head.encode() + body.as_bytes(policy=policy.SMTP)


def _vectors() -> list[Vector]:
    p = payload
    body = [
        ("script tag", lambda n: f"<p>Our price list is below.</p><script>{p(n)}</script>"),
        ("mixed-case script tag", lambda n: f'<ScRiPt type="text/javascript">{p(n)}</sCrIpT><p>Hello</p>'),
        ("img onerror", lambda n: f'<img src="x" onerror="{p(n)}" alt="logo">'),
        ("mixed-case unquoted handler", lambda n: f"<IMG SRC=x OnErRoR={p(n)}>"),
        ("body onload", lambda n: f'<body onload="{p(n)}"><p>Dear buyer,</p></body>'),
        ("svg onload", lambda n: f'<svg onload="{p(n)}"><circle r="4"/></svg>'),
        ("script and animate inside svg", lambda n: f"<svg><script>{p(n)}</script>"
                                                    f"<animate onbegin={p(n)} attributeName=x dur=1s /></svg>"),
        ("javascript: link", lambda n: f'<a href="javascript:{p(n)}">Open the catalogue</a>'),
        ("entity-encoded javascript: links", lambda n:
            f'<a href="{entities("javascript:")}{p(n)}">A</a> <a href="jav&#x09;ascript:{p(n)}">B</a> '
            f'<a href="&#x6A;avascript&colon;{p(n)}">C</a> <a href="&#0000106avascript:{p(n)}">D</a>'),
        ("iframe srcdoc", lambda n: f'<iframe srcdoc="&lt;script&gt;{p(n)}&lt;/script&gt;"></iframe>'),
        ("iframe with javascript: and data: sources", lambda n:
            f'<iframe src="javascript:{p(n)}"></iframe><iframe src="{as_data_url(n)}"></iframe>'),
        ("meta refresh", lambda n: f'<meta http-equiv="refresh" content="0;url=javascript:{p(n)}">'
                                   f'<meta http-equiv="refresh" content="1;url={as_data_url(n)}"><p>Wait</p>'),
        ("style expression and javascript: in CSS", lambda n:
            f'<div style="width: expression({p(n)})">IE</div><div style="background:url(javascript:{p(n)})">B</div>'
            f'<style>body {{ background: url("javascript:{p(n)}") }}</style>'),
        ("object and embed", lambda n: f'<object data="{as_data_url(n)}"></object><embed src="{as_data_url(n)}">'
                                       f'<object data="javascript:{p(n)}"></object>'),
        ("form action javascript:", lambda n: f'<form action="javascript:{p(n)}"><input type="submit" value="Confirm">'
                                              f'</form><button formaction="javascript:{p(n)}">Go</button>'),
        ("data: URL html link", lambda n: f'<a href="{as_data_url(n)}">Invoice</a>'),
        ("details ontoggle", lambda n: f'<details open ontoggle="{p(n)}"><summary>Terms</summary>30 days</details>'),
        ("autofocus onfocus", lambda n: f'<input autofocus onfocus="{p(n)}"><textarea autofocus onfocus="{p(n)}">'
                                        f"</textarea>"),
        ("noscript mutation", lambda n: f'<noscript><p title="</noscript><img src=x onerror={p(n)}>"></noscript>'),
        ("math and style mutation", lambda n: f"<math><mtext><table><mglyph><style><img src=x onerror={p(n)}>"
                                              f"</style></mglyph></table></mtext></math>"),
        ("comment breakout", lambda n: f'<!--<img src="--><img src=x onerror={p(n)}>-->'),
        ("base href javascript:", lambda n: f'<base href="javascript:{p(n)}//"><a href="terms.html">Terms</a>'),
        ("link import and stylesheet", lambda n: f'<link rel="import" href="{as_data_url(n)}">'
                                                 f'<link rel="stylesheet" href="javascript:{p(n)}"><p>x</p>'),
        ("media and marquee handlers", lambda n: f'<video><source onerror="{p(n)}"></video>'
                                                 f'<marquee onstart="{p(n)}">Sale</marquee>'),
        ("table background and vbscript:", lambda n: f'<table background="javascript:{p(n)}"><tr><td>'
                                                      f'<a href=" vbscript:msgbox({n})">VB</a></td></tr></table>'),
    ]
    vectors = [Vector(number, name, html=make(number)) for number, (name, make) in enumerate(body, start=1)]
    n = len(vectors) + 1
    subject = f"<script>{p(n)}</script> Re: <b>quote</b> & \"terms\""
    vectors.append(Vector(n, "script in the Subject", html="<p>Subject test</p>", subject=subject,
                          literal={"subject": subject}))
    n += 1
    decoded = f"<img src=x onerror={p(n)}> 报价单"
    vectors.append(Vector(n, "encoded-word Subject", html="<p>Encoded subject test</p>",
                          subject=Header(decoded, "utf-8").encode(linesep="\r\n"), literal={"subject": decoded}))
    n += 1
    name = f"<svg onload={p(n)}>"
    vectors.append(Vector(n, "From display name", html="<p>From test</p>",
                          from_header=f'"{name}" <ceo@evil.example>', literal={"from_name": name}))
    n += 1
    name = f"<img src=x onerror={p(n)}>"
    vectors.append(Vector(n, "To display name", html="<p>To test</p>", to_header=f'"{name}" <{MAILBOX}>',
                          literal={"to": name}))
    n += 1
    filename = f"<img src=x onerror={p(n)}>.html"
    vectors.append(Vector(n, "attachment filename", html="<p>Attachment test</p>", attachments=(
        Attachment(filename, "text/html", f"<script>{p(n)}</script>".encode()),), literal={"filename": filename}))
    n += 1
    vectors.append(Vector(n, "HTML disguised as a GIF attachment", html="<p>Preview test</p>", attachments=(
        Attachment("pixel.gif", "image/gif", f"<html><body><script>{p(n)}</script></body></html>".encode()),),
        literal={"filename": "pixel.gif"}))
    n += 1
    vectors.append(Vector(n, "plain text breaking out of pre", text=f"</pre><script>{p(n)}</script><pre>"))
    return vectors


VECTORS = _vectors()

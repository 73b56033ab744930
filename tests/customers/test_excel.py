"""Excel import (.xlsx, .csv in UTF-8 with BOM or GB18030) with preview and all-or-nothing, and .xlsx export."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from customers.conftest import client_for, current_owner_codes, make_customer
from tradeport.customers.models import Customer, EmailAddress

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(rows, header=("Customer name", "Region", "Main email", "Contact name", "Contact email")) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("customers.xlsx", buffer.getvalue(), content_type=XLSX)


def csv_file(text: str, encoding: str, name="customers.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def preview(client, upload):
    return client.post(reverse("customers:customer_import"), {"file": upload})


def confirm(client, response):
    return client.post(reverse("customers:customer_import"), {"token": response.context["token"], "confirm": "1"},
                       follow=True)


# Import --------------------------------------------------------------------------------------

def test_an_xlsx_file_is_previewed_then_imported_with_contacts_grouped_by_name(people, world, codes):
    """CUST-01, CUST-09: rows with one customer name make one customer; nothing is written before [Import]."""
    client = client_for(people["zhang"])
    upload = xlsx([
        ["Lyon Textiles", "X-DE", "Buy@Lyon-Textiles.fr", "Claire Martin", "claire@lyon-textiles.fr", "Importer",
         "A (key account)", "P01; P03", "E01; E02", "13800000000"],
        ["Lyon Textiles", "X-DE", "", "Paul Roux", "paul@lyon-textiles.fr", "", "", "", "", ""],
        ["杭州丝绸有限公司", "杭州市", "info@hz-silk.com", "", "", "", "", "", "", ""],
    ], header=("Customer name", "Region", "Main email", "Contact name", "Contact email", "Customer type",
               "Customer level", "Products", "Owner codes", "Phone"))
    response = preview(client, upload)
    assert response.status_code == 200
    html = response.content.decode()
    assert "customers.xlsx: 3 rows, 2 customers." in html
    assert 'id="confirm-import"' in html
    assert not Customer.objects.exists()
    done = confirm(client, response)
    assert "2 customers imported." in done.content.decode()
    lyon = Customer.objects.get(name="Lyon Textiles")
    assert lyon.region == world["germany"]
    assert lyon.main_email == "buy@lyon-textiles.fr"
    assert sorted(lyon.contacts.values_list("name", "email")) == [
        ("Claire Martin", "claire@lyon-textiles.fr"), ("Paul Roux", "paul@lyon-textiles.fr")]
    assert (lyon.customer_type.code, lyon.level.code, lyon.phone) == ("IMP", "A", "13800000000")
    assert sorted(lyon.products.values_list("code", flat=True)) == ["P01", "P03"]
    assert current_owner_codes(lyon) == ["E01", "E02"]
    silk = Customer.objects.get(name="杭州丝绸有限公司")
    assert silk.region == world["hangzhou"]
    assert silk.mnemonic == "HZSC"
    assert current_owner_codes(silk) == ["E01"]
    assert EmailAddress.objects.count() == 4


def test_a_utf8_csv_with_bom_and_english_headers_is_imported(people, world):
    """CUST-01: .csv in UTF-8 with a byte-order mark is read."""
    client = client_for(people["zhang"])
    text = "\ufeffCustomer name,Region,Main email,Backup emails\r\nMüller Stahl GmbH,Germany,info@müller-stahl.de,\"a@ms.de; b@ms.de\"\r\n"
    response = preview(client, csv_file(text, "utf-8"))
    assert response.status_code == 200
    confirm(client, response)
    customer = Customer.objects.get()
    assert customer.name == "Müller Stahl GmbH"
    assert customer.main_email == "info@xn--mller-stahl-thb.de"
    assert customer.backup_emails == ["a@ms.de", "b@ms.de"]


def test_a_gb18030_csv_with_chinese_headers_is_imported(people, world):
    """CUST-01: .csv in GB18030, as Excel saves it on Chinese Windows, with Chinese column names."""
    client = client_for(people["zhang"])
    text = "客户名称,所属地区,电子邮件,联系人,联系人邮箱\r\n宁波进出口有限公司,宁波市,info@nb-trade.cn,王经理,wang@nb-trade.cn\r\n"
    response = preview(client, csv_file(text, "gb18030"))
    assert response.status_code == 200
    assert "宁波进出口有限公司" in response.content.decode()
    confirm(client, response)
    customer = Customer.objects.get()
    assert (customer.name, customer.region) == ("宁波进出口有限公司", world["ningbo"])
    assert customer.contacts.get().name == "王经理"


def test_rows_with_errors_are_shown_per_line_and_nothing_is_imported(people, world):
    """CUST-01, CUST-07: each bad row names its problem; the import offers no [Import] and writes nothing."""
    make_customer("Existing", world["china"], actor=people["zhang"], main_email="taken@old.com")
    client = client_for(people["zhang"])
    response = preview(client, xlsx([
        ["Good One", "X-CN", "good@one.com", "", ""],
        ["Bad Region", "Atlantis Deep", "x@bad-region.com", "", ""],
        ["Bad Email", "X-CN", "not an email", "", ""],
        ["Taken", "X-CN", "TAKEN@old.com", "", ""],
        ["Twice A", "X-CN", "twice@x.com", "", ""],
        ["Twice B", "X-CN", "", "Bob", "twice@x.com"],
        ["No Contact Name", "X-CN", "", "", "someone@x.com"],
        ["", "X-CN", "nameless@x.com", "", ""],
        ["No Region", "", "", "", ""],
    ]))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="confirm-import"' not in html
    assert "7 rows have errors. Correct the file and upload it again; nothing has been imported." in html
    errors = {row.line: row.errors for row in response.context["plan"].rows}
    assert errors[2] == []
    assert errors[3] == ["Unknown or ambiguous region: Atlantis Deep."]
    assert errors[4] == ["not an email is not an email address."]
    assert errors[5] == ["taken@old.com is already used by 000001 Existing."]
    assert errors[7] == ["twice@x.com also appears on line 6."]
    assert errors[8] == ["A contact email needs a contact name."]
    assert errors[9] == ["Customer name is required."]
    assert errors[10] == ["Region is required."]
    assert 'data-line="3"' in html
    assert "Unknown or ambiguous region: Atlantis Deep." in html
    # A forged confirm of the same upload is refused too.
    again = client.post(reverse("customers:customer_import"), {"token": response.context["token"], "confirm": "1"})
    assert again.status_code == 400
    assert Customer.objects.count() == 1


def test_an_address_clash_names_a_record_the_importer_may_see(people, world):
    """CUST-07: as on the form, the clash names the holding record when the user may see it, and hides it otherwise."""
    make_customer("Mine", world["china"], actor=people["zhang"], main_email="mine@old.com")
    make_customer("Theirs", world["china"], actor=people["li"], main_email="theirs@old.com")
    response = preview(client_for(people["zhang"]), xlsx([["A", "X-CN", "mine@old.com", "", ""],
                                                           ["B", "X-CN", "theirs@old.com", "", ""]]))
    first, second = (row.errors for row in response.context["plan"].rows)
    assert first == ["mine@old.com is already used by 000001 Mine."]
    assert second == ["theirs@old.com is already used by a record another salesperson holds."]


def test_unknown_codes_owners_and_missing_columns_are_errors(people, world):
    """CUST-01: code-group values and owner codes must exist; name and region columns are required."""
    client = client_for(people["zhang"])
    response = preview(client, xlsx([["Alpha", "X-CN", "Nonsense", "Gizmos", "E99"]],
                                    header=("Customer name", "Region", "Customer type", "Products", "Owner codes")))
    errors = response.context["plan"].rows[0].errors
    assert "Unknown customer type: Nonsense." in errors
    assert "Unknown product: Gizmos." in errors
    assert "No active salesperson has the code E99." in errors
    response = preview(client, xlsx([["Alpha"]], header=("Customer name",)))
    assert response.status_code == 400
    assert "Missing columns: Region." in response.content.decode()


def test_a_similar_name_is_warned_but_not_refused(people, world):
    """CUST-01 (查重): a name like an existing customer's is a warning on the preview."""
    make_customer("Hanse Trade GmbH", world["germany"], actor=people["zhang"])
    response = preview(client_for(people["zhang"]), xlsx([["Hanse Trade", "X-DE", "", "", ""]]))
    assert response.status_code == 200
    assert response.context["plan"].rows[0].warnings == ["A customer with a similar name already exists."]


def test_the_import_is_all_or_nothing_when_saving_fails_late(people, world):
    """CUST-01, CUST-09: a row that passes the preview but fails on saving rolls back the rows saved before it."""
    client = client_for(people["zhang"])
    response = preview(client, xlsx([
        ["First Co", "X-CN", "first@co.com", "", ""],
        ["Second Co", "X-CN", "same@second.com", "S" * 101, "sam@second.com"],  # a contact name over 100 characters
    ]))
    assert response.status_code == 200
    done = confirm(client, response)
    assert "Nothing was imported: Ensure this value has at most 100 characters (it has 101)." in done.content.decode()
    assert not Customer.objects.exists()
    assert not EmailAddress.objects.exists()


def test_a_file_of_another_type_is_refused(people):
    """CUST-01: only .xlsx and .csv are read; a renamed file that is no spreadsheet is refused gently."""
    client = client_for(people["zhang"])
    response = client.post(reverse("customers:customer_import"),
                           {"file": SimpleUploadedFile("list.txt", b"hello")}, follow=True)
    assert "Upload an .xlsx or .csv file." in response.content.decode()
    response = client.post(reverse("customers:customer_import"),
                           {"file": SimpleUploadedFile("list.xlsx", b"not a zip")}, follow=True)
    assert "The file could not be read as a spreadsheet." in response.content.decode()
    assert not Customer.objects.exists()


def test_an_unknown_token_is_refused(people):
    """CUST-01: a confirm without an upload in this session imports nothing."""
    response = client_for(people["zhang"]).post(reverse("customers:customer_import"),
                                                {"token": "forged", "confirm": "1"}, follow=True)
    assert "That upload has expired; choose the file again." in response.content.decode()


# Export ----------------------------------------------------------------------------------------

def exported(response):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_the_export_has_the_visible_list_with_every_column(people, world, codes):
    """CUST-14, CUST-22: the .xlsx holds the user's own, non-hidden customers with their fields and owners."""
    mine = make_customer("Alpha", world["hangzhou"], actor=people["zhang"], main_email="info@alpha.com",
                         backups=["b@alpha.com", "c@alpha.com"], phone="123456", level=codes("customer_level", "B"),
                         products=[codes("product", "P01")], owners=[people["zhang"].employee, people["li"].employee])
    make_customer("Hidden", world["hangzhou"], actor=people["zhang"], hidden=True)
    make_customer("Theirs", world["hangzhou"], actor=people["li"])
    rows = exported(client_for(people["zhang"]).get(reverse("customers:customer_export")))
    assert rows[0][:5] == ["Customer code", "Customer name", "Region", "Main email", "Backup emails"]
    assert rows[0][14:16] == ["Owner codes", "Remarks"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Customer code"] == mine.code
    assert (row["Customer name"], row["Region"], row["Main email"]) == ("Alpha", "Hangzhou", "info@alpha.com")
    assert row["Backup emails"] == "b@alpha.com; c@alpha.com"
    assert (row["Phone"], row["Customer level"], row["Products"]) == ("123456", "B", "Garments")
    assert sorted(row["Owner codes"].split("; ")) == ["E01", "E02"]


def test_the_export_follows_the_search_and_reaches_every_visible_customer(manager, people, world):
    """CUST-17, PERM-11: the export takes the list's filters; a PERM-11 holder exports everyone's customers."""
    make_customer("Alpha", world["hangzhou"], actor=people["zhang"])
    make_customer("Beta", world["munich"], actor=people["li"])
    make_customer("Gamma", world["munich"], actor=people["wang"])
    client = client_for(manager)
    assert [r[1] for r in exported(client.get(reverse("customers:customer_export")))[1:]] == ["Alpha", "Beta", "Gamma"]
    assert [r[1] for r in exported(client.get(reverse("customers:customer_export"),
                                              {"region": world["germany"].pk}))[1:]] == ["Beta", "Gamma"]
    assert [r[1] for r in exported(client.get(reverse("customers:customer_export"), {"q": "gam"}))[1:]] == ["Gamma"]


def test_an_exported_file_imports_back(people, world, manager):
    """CUST-01: the export's columns are the import's, so a file can make the round trip."""
    make_customer("Alpha", world["hangzhou"], actor=people["zhang"], main_email="info@alpha.com", phone="123456")
    content = client_for(people["zhang"]).get(reverse("customers:customer_export")).content
    Customer.objects.all().delete()
    client = client_for(people["zhang"])
    response = preview(client, SimpleUploadedFile("back.xlsx", content, content_type=XLSX))
    assert response.status_code == 200, response.context["plan"].rows[0].errors
    confirm(client, response)
    again = Customer.objects.get()
    assert (again.name, again.region, again.main_email, again.phone) == ("Alpha", world["hangzhou"], "info@alpha.com",
                                                                       "123456")

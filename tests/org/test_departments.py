"""Departments (ORG-01..05): the tree, add, modify, delete, presets, log and permissions."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from matrix import check_matrix
from tradeport.audit.models import OperationLogEntry
from tradeport.org import services
from tradeport.org.models import Department, Employee
from tradeport.system.usage import references

pytestmark = pytest.mark.django_db
Action = OperationLogEntry.Action


def form_data(**overrides) -> dict:
    data = {"code": "D10", "name": "开发部", "parent": "", "sort_order": "0", "remarks": ""}
    data.update(overrides)
    return data


def paths_of(*departments) -> list[str]:
    return [Department.objects.get(pk=d.pk).path for d in departments]


# Permission matrix (GEN-01) ---------------------------------------------------------

@pytest.mark.parametrize("name", ["department_list", "department_create", "department_update",
                                  "department_delete"])
def test_every_department_page_needs_the_departments_function(roles, make_department, name):
    """ORG-01..05, GEN-01: department pages need fn_departments; salespeople and outsiders get 403."""
    department = make_department("D01", "外贸一部")
    args = [department.pk] if name in ("department_update", "department_delete") else []
    check_matrix(reverse(f"org:{name}", args=args), users=roles,
                 anonymous=302, outsider=403, salesperson=403, manager=200, admin=200)


def test_a_refused_department_post_changes_nothing(client, salesperson, signed_in, make_department):
    """GEN-01, ORG-02, ORG-05: a salesperson's direct POSTs to create or delete are refused and have no effect."""
    existing = make_department("D01", "外贸一部")
    signed_in(client, salesperson)
    assert client.post(reverse("org:department_create"), form_data()).status_code == 403
    assert client.post(reverse("org:department_delete", args=[existing.pk])).status_code == 403
    assert list(Department.objects.values_list("code", flat=True)) == ["D01"]


# Presets (ORG-01) -------------------------------------------------------------------

def test_a_new_installation_has_the_foreign_trade_department(presets):
    """ORG-01: the preset department 外贸部 is a root and holds the preset employees."""
    department = Department.objects.get(name="外贸部")
    assert department.parent is None
    assert department.path == f"{department.pk:08d}/"
    assert set(department.employees.values_list("code", flat=True)) >= {"0001", "0002", "0006"}


def test_department_list_renders_the_preset_in_chinese(client, presets, manager, signed_in):
    """ORG-01: the department page lists 外贸部 and speaks Chinese to a Chinese browser."""
    signed_in(client, manager)
    html = client.get(reverse("org:department_list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-department="01"' in html
    assert "外贸部" in html
    assert "增加部门" in html


# Add (ORG-02, ORG-03) -----------------------------------------------------------------

def test_add_top_level_department_via_the_form(manager_client):
    """ORG-02: [Add department] with code, name, sort order and remarks stores a root department."""
    response = manager_client.post(reverse("org:department_create"),
                                   form_data(sort_order="5", remarks="Development"))
    department = Department.objects.get(code="D10")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('org:department_list')}?selected={department.pk}"
    assert (department.name, department.parent, department.sort_order, department.remarks) == (
        "开发部", None, 5, "Development")
    assert department.path == f"{department.pk:08d}/"
    assert department.depth == 0


def test_add_sub_department_preselects_the_parent_and_nests_the_path(manager_client, make_department):
    """ORG-03: [Add sub-department] under 外贸部 pre-fills the parent; the child's path and ancestors follow it."""
    parent = make_department("01", "外贸部")
    form = manager_client.get(reverse("org:department_create") + f"?parent={parent.pk}").context["form"]
    assert form["parent"].value() == parent.pk

    manager_client.post(reverse("org:department_create"), form_data(code="0101", name="外贸一部", parent=parent.pk))
    manager_client.post(reverse("org:department_create"), form_data(code="0102", name="外贸二部", parent=parent.pk))
    first = Department.objects.get(code="0101")
    assert first.parent == parent
    assert first.path == f"{parent.path}{first.pk:08d}/"
    assert first.ancestors() == [parent]
    assert set(Department.objects.subtree(parent).values_list("code", flat=True)) == {"01", "0101", "0102"}


def test_sub_departments_nest_to_any_depth(make_department):
    """ORG-03: depth is unlimited; every level keeps its ancestors in order."""
    node = make_department("L0", "第0层")
    chain = [node]
    for level in range(1, 8):
        node = make_department(f"L{level}", f"第{level}层", node)
        chain.append(node)
    assert node.depth == 7
    assert node.ancestors() == chain[:-1]


def test_duplicate_department_code_is_refused(manager_client, make_department):
    """ORG-02: department codes are unique; a clash is a form error, not a crash."""
    make_department("D10", "开发部")
    response = manager_client.post(reverse("org:department_create"), form_data(name="另一个部门"))
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert Department.objects.filter(code="D10").count() == 1


# Modify (ORG-04) --------------------------------------------------------------------

def test_modify_department_renames_it(manager_client, make_department):
    """ORG-04: [Modify], then [Save] changes the name and keeps the place in the tree."""
    department = make_department("D10", "开发部")
    path = department.path
    form = manager_client.get(reverse("org:department_update", args=[department.pk])).context["form"]
    assert form["name"].value() == "开发部"
    response = manager_client.post(reverse("org:department_update", args=[department.pk]),
                                   form_data(name="研发部", remarks="renamed"))
    assert response.status_code == 302
    department.refresh_from_db()
    assert (department.name, department.remarks, department.path) == ("研发部", "renamed", path)


def test_moving_a_department_moves_its_whole_subtree(manager_client, make_department):
    """ORG-04: moving a department under another parent rewrites its and its descendants' paths."""
    trade = make_department("01", "外贸部")
    team = make_department("0101", "外贸一部", trade)
    group = make_department("010101", "一组", team)
    develop = make_department("02", "开发部")

    response = manager_client.post(reverse("org:department_update", args=[team.pk]),
                                   form_data(code="0101", name="外贸一部", parent=develop.pk))
    assert response.status_code == 302
    team.refresh_from_db()
    group.refresh_from_db()
    assert team.parent == develop
    assert team.path == f"{develop.path}{team.pk:08d}/"
    assert group.path == f"{team.path}{group.pk:08d}/"
    assert group.ancestors() == [develop, team]
    assert list(Department.objects.subtree(trade)) == [trade]
    assert set(Department.objects.subtree(develop)) == {develop, team, group}


def test_moving_a_department_back_to_the_top_level(make_department):
    """ORG-04: a sub-department can become a root again; its children follow."""
    trade = make_department("01", "外贸部")
    team = make_department("0101", "外贸一部", trade)
    group = make_department("010101", "一组", team)
    services.department_save(department=team, parent=None)
    team.refresh_from_db()
    group.refresh_from_db()
    assert team.path == f"{team.pk:08d}/"
    assert group.ancestors() == [team]


def test_moving_under_its_own_descendant_is_refused_with_a_form_error(manager_client, make_department):
    """ORG-04: the form refuses a parent inside the department's own subtree, and nothing moves."""
    trade = make_department("01", "外贸部")
    team = make_department("0101", "外贸一部", trade)
    group = make_department("010101", "一组", team)
    before = paths_of(trade, team, group)

    form = manager_client.get(reverse("org:department_update", args=[trade.pk])).context["form"]
    offered = set(form.fields["parent"].queryset)
    assert not offered & {trade, team, group}

    for bad_parent in (group, trade):
        response = manager_client.post(reverse("org:department_update", args=[trade.pk]),
                                       form_data(code="01", name="外贸部", parent=bad_parent.pk))
        assert response.status_code == 200
        assert response.context["form"].errors["parent"]
    assert paths_of(trade, team, group) == before


def test_service_refuses_a_move_under_a_descendant(make_department):
    """ORG-04: department_save itself refuses a cycle, whatever form calls it."""
    trade = make_department("01", "外贸部")
    team = make_department("0101", "外贸一部", trade)
    with pytest.raises(ValidationError, match=r"It cannot be moved under itself or anything below it\."):
        services.department_save(department=Department.objects.get(pk=trade.pk), parent=team)
    assert Department.objects.get(pk=trade.pk).parent is None


# Delete (ORG-05) --------------------------------------------------------------------

def test_delete_is_refused_while_the_department_has_sub_departments(manager_client, make_department):
    """ORG-05: a department with sub-departments cannot be deleted and the user is told why."""
    trade = make_department("01", "外贸部")
    make_department("0101", "外贸一部", trade)
    response = manager_client.post(reverse("org:department_delete", args=[trade.pk]), follow=True)
    assert response.redirect_chain[-1][0] == f"{reverse('org:department_list')}?selected={trade.pk}"
    assert "外贸部 still has sub-departments. Delete or move them first." in response.content.decode()
    assert Department.objects.filter(pk=trade.pk).exists()


def test_delete_is_refused_while_the_department_has_employees(manager_client, make_department, make_employee):
    """ORG-05: a department with employees cannot be deleted and the message says how many."""
    trade = make_department("01", "外贸部")
    make_employee("E1", "张三", trade)
    make_employee("E2", "李四", trade)
    response = manager_client.post(reverse("org:department_delete", args=[trade.pk]), follow=True)
    html = response.content.decode()
    assert "外贸部 still has 2 employees (active or left). Move them to another department first." in html
    assert Department.objects.filter(pk=trade.pk).exists()


def test_employees_who_left_still_keep_their_department(manager_client, make_department, make_employee):
    """ORG-05, ORG-14: a left employee's history stays intact, so their department is not deleted."""
    trade = make_department("01", "外贸部")
    make_employee("E1", "张三", trade, status=Employee.Status.LEFT)
    response = manager_client.post(reverse("org:department_delete", args=[trade.pk]), follow=True)
    assert response.status_code == 200
    assert "外贸部 still has 1 employee (active or left)." in response.content.decode()
    assert Employee.objects.get(code="E1").department == trade


def test_empty_department_is_deleted_after_confirmation(manager_client, make_department):
    """ORG-05: select, [Delete], confirm: an empty department goes."""
    trade = make_department("01", "外贸部")
    team = make_department("0101", "外贸一部", trade)
    confirm = manager_client.get(reverse("org:department_delete", args=[team.pk]))
    assert "Delete department 外贸一部?" in confirm.content.decode()
    response = manager_client.post(reverse("org:department_delete", args=[team.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("org:department_list")
    assert "Department 外贸一部 deleted." in response.content.decode()
    assert not Department.objects.filter(pk=team.pk).exists()
    # The parent is now empty as well, so it can go too.
    manager_client.post(reverse("org:department_delete", args=[trade.pk]))
    assert not Department.objects.exists()


def test_references_names_what_still_uses_a_department(make_department, make_employee):
    """ORG-05: system.usage.references() counts a department's employees and sub-departments."""
    trade = make_department("01", "外贸部")
    assert references(trade) == []
    make_department("0101", "外贸一部", trade)
    make_employee("E1", "张三", trade)
    make_employee("E2", "李四", trade)
    assert sorted(references(trade)) == [("departments", 1), ("employees", 2)]
    assert references(trade, ignore=("children",)) == [("employees", 2)]


# The page (ORG-01) ------------------------------------------------------------------

def test_department_list_shows_the_tree_and_the_selected_department(manager_client, make_department,
                                                                    make_employee):
    """ORG-01, ORG-06: the tree lists every department; the selected one shows its parent and active staff."""
    trade = make_department("01", "外贸部")
    team = make_department("0101", "外贸一部", trade, remarks="Team one")
    make_employee("E1", "张三", team)
    make_employee("E2", "李四", team, status=Employee.Status.LEFT)
    response = manager_client.get(reverse("org:department_list") + f"?selected={team.pk}")
    html = response.content.decode()
    assert [d.code for d in response.context["departments"]] == ["01", "0101"]
    assert response.context["selected"] == team
    assert response.context["selected"].employee_count == 1
    assert 'id="department-detail"' in html
    assert "Team one" in html
    assert f'{reverse("org:department_create")}?parent={team.pk}' in html


# Operation log (GEN-05) -------------------------------------------------------------

def test_department_create_modify_delete_are_in_the_operation_log(manager_client, manager, make_department):
    """GEN-05, ORG-02, ORG-04, ORG-05: each change writes an "org" row with before and after values."""
    manager_client.post(reverse("org:department_create"), form_data())
    department = Department.objects.get(code="D10")
    manager_client.post(reverse("org:department_update", args=[department.pk]), form_data(name="研发部"))
    manager_client.post(reverse("org:department_delete", args=[department.pk]))

    rows = list(OperationLogEntry.objects.filter(object_type="org.department", object_id=str(department.pk))
                .order_by("id"))
    assert [row.action for row in rows] == [Action.CREATE, Action.UPDATE, Action.DELETE]
    assert {row.module for row in rows} == {"org"}
    assert {row.username for row in rows} == {manager.username}
    created, modified, deleted = (row.changes for row in rows)
    assert created["code"] == [None, "D10"]
    assert created["name"] == [None, "开发部"]
    assert modified == {"name": ["开发部", "研发部"]}
    assert deleted["name"] == ["研发部", None]
    assert all("path" not in changes for changes in (created, modified, deleted))


def test_the_department_page_lists_each_sub_department_under_its_parent(manager_client, make_department):
    """ORG-01, ORG-03: the tree shows a sub-department right below its parent, whenever it was added.

    department_list annotates the employee count; Django drops Meta.ordering from a GROUP BY
    query, so without an explicit order_by("path") the rows come back in no tree order.
    """
    trade = make_department("01", "外贸部")
    make_department("02", "开发部")
    make_department("0101", "外贸一部", trade)
    response = manager_client.get(reverse("org:department_list"))
    assert [d.code for d in response.context["departments"]] == ["01", "0101", "02"]


def test_sibling_departments_follow_their_sort_order(manager_client, make_department):
    """ORG-01, ORG-02: the tree lists siblings by their sort order, under their parent.

    Departments are ordered by the materialised path, which is built from primary keys,
    so the sort order field entered in the form has no effect on the tree.
    """
    trade = make_department("01", "外贸部", sort_order=2)
    make_department("0101", "外贸二部", trade, sort_order=2)
    make_department("0102", "外贸一部", trade, sort_order=1)
    make_department("02", "开发部", sort_order=1)
    response = manager_client.get(reverse("org:department_list"))
    assert [d.code for d in response.context["departments"]] == ["02", "01", "0102", "0101"]

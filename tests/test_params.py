"""A tenant's params file, validated on load: a mistake is one line naming the file and the
field (with the closest valid name when one is close); every file the project ships loads."""

from __future__ import annotations

import shutil

import pytest
import yaml

from reportlib import params, registry
from reportlib.errors import ReportError
from tests.conftest import ACME, REPO


def write_acme(params_dir, **fields):
    folder = params_dir / "tenants"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "acme.yaml"
    path.write_text(yaml.safe_dump({"display_name": "Acme", **fields}), encoding="utf-8")
    return path


def error_of(params_dir) -> str:
    with pytest.raises(ReportError) as caught:
        params.load_tenant(params_dir, "acme")
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(("fields", "says"), [
    ({"reports": ["consumptoin", "campaigns"]},
     "field reports: 'consumptoin' is not a report; did you mean consumption?"),
    ({"reports": ["consumption", "weather"]},
     "field reports: 'weather' is not a report (one of consumption, campaigns, "),
    ({"colour": "blue"}, "field colour: not a setting (one of display_name, timezone, "),
    ({"timezon": "UTC"}, "field timezon: not a setting; did you mean timezone?"),
    ({"recipients": {"consumtion": ["cfo@acme.example"]}},
     "field recipients.consumtion: not a report or all; did you mean consumption?"),
    ({"recipients": {"everyone": ["cfo@acme.example"]}},
     "field recipients.everyone: not a report or all (one of all, consumption, "),
    ({"options": {"funels": [{"name": "buy", "steps": [["menu", "open"]]}]}},
     "field options.funels: not an option; did you mean funnels?"),
    ({"options": {"extract_identity": "full"}},
     "field options.extract_identity: not an option; did you mean extract_identities?"),
    ({"options": {"colour": "blue"}},
     "field options.colour: not an option (one of funnels, campaign_variants, "
     "extract_identities)"),
    ({"options": {"funnels": [{"nome": "buy", "steps": [["menu", "open"]]}]}},
     "field options.funnels[0].nome: not a funnel field; did you mean name?"),
])
def test_an_unknown_name_is_one_line_naming_file_and_field(tmp_path, fields, says):
    path = write_acme(tmp_path, **fields)
    message = error_of(tmp_path)
    assert message.startswith(f"{path}: {says}"), message


def test_every_known_setting_loads(tmp_path):
    path = write_acme(
        tmp_path, timezone="UTC", locale="en", currency="USD", sla_target_minutes=10,
        phone_numbers=[{"id": "1001", "display": "+55 11 4000-0001", "waba_id": "w",
                        "label": "Vendas"}], bots=["acme-bot"], reports=["consumption", "chatbots"],
        recipients={"consumption": ["cfo@acme.example"], "all": "ceo@acme.example"},
        options={"extract_identities": "both", "campaign_variants": [["c-1", "c-2"]],
                 "funnels": [{"name": "buy", "steps": [["menu", "open"], ["order", "done"]]}]},
        sources={"notifications": {"columns": {"Message ID": "MessageId"}}},
        templates={"aviso_boleto": "utility"})
    tenant = params.load_tenant(tmp_path, "acme")
    assert tenant.reports == ("consumption", "chatbots")
    assert tenant.source_file == str(path)
    # What dump_tenant writes loads again as it was.
    params.dump_tenant(tmp_path, tenant)
    assert params.load_tenant(tmp_path, "acme") == tenant


def test_bots_and_events_may_be_given_names(tmp_path):
    # There was nowhere to write the names a tenant gives its bots and events: the reports
    # showed the platform's ids. `bots:` may map each id to its name (a list of ids still
    # loads), `event_names:` names categories, actions and labels; a null or empty name is
    # none.
    write_acme(tmp_path, bots={"acme-router": "Triagem", "acme-sac": None, "acme-bot": ""},
               event_names={"categories": {"menu": "Menu principal"},
                            "actions": {"option_selected": "Opção escolhida"},
                            "labels": {"opcao_1": "Ofertas", 2: 3}})
    tenant = params.load_tenant(tmp_path, "acme")
    assert sorted(tenant.bots) == ["acme-bot", "acme-router", "acme-sac"]
    assert tenant.bot_names == {"acme-router": "Triagem"}
    assert tenant.event_names == {"categories": {"menu": "Menu principal"},
                                  "actions": {"option_selected": "Opção escolhida"},
                                  "labels": {"opcao_1": "Ofertas", "2": "3"}}
    params.dump_tenant(tmp_path, tenant)
    assert params.load_tenant(tmp_path, "acme") == tenant
    write_acme(tmp_path, bots=["acme-bot"])
    assert params.load_tenant(tmp_path, "acme").bot_names == {}


@pytest.mark.parametrize(("fields", "says"), [
    ({"bots": "acme-bot"},
     "field bots: expected a list of bot ids or a mapping <bot id>: <name>, got 'acme-bot'"),
    ({"bots": [{"acme-bot": "Vendas"}]},
     "field bots[0]: expected a bot id, got {'acme-bot': 'Vendas'} (to name the bots, write "
     "`bots:` as a mapping <bot id>: <name>)"),
    ({"bots": {"acme-bot": ["Vendas", "Sales"]}},
     "field bots.acme-bot: expected a name (text), got ['Vendas', 'Sales']"),
    ({"event_name": {"categories": {"menu": "Menu"}}},
     "field event_name: not a setting; did you mean event_names?"),
    ({"event_names": {"categoris": {"menu": "Menu"}}},
     "field event_names.categoris: not a kind of event name; did you mean categories?"),
    ({"event_names": {"steps": {"menu": "Menu"}}},
     "field event_names.steps: not a kind of event name (one of categories, actions, "
     "labels)"),
    ({"event_names": {"actions": ["open"]}},
     "field event_names.actions: expected a mapping <action>: <name>, got ['open']"),
    ({"event_names": {"labels": {"opcao_1": {"pt-BR": "Ofertas"}}}},
     "field event_names.labels.opcao_1: expected a name (text), got {'pt-BR': 'Ofertas'}"),
    ({"event_names": ["menu"]}, "field event_names: expected dict, got ['menu']"),
])
def test_a_name_of_the_wrong_shape_is_one_line_naming_file_and_field(tmp_path, fields, says):
    path = write_acme(tmp_path, **fields)
    assert error_of(tmp_path) == f"{path}: {says}"


def test_a_site_report_may_be_listed_and_have_recipients(tmp_path):
    """A site's own report (params/reports.yaml) is a report name in `reports:` and in
    `recipients:`, whether or not a command has registered the site's reports yet."""
    shutil.copy(REPO / "examples" / "reports.yaml", tmp_path / "reports.yaml")
    write_acme(tmp_path, reports=["consumption", "message_digest"],
               recipients={"message_digest": ["ops@acme.example"]})
    assert "message_digest" not in registry.names()
    tenant = params.load_tenant(tmp_path, "acme")
    assert tenant.recipients == {"message_digest": ["ops@acme.example"]}


@pytest.mark.parametrize("name", sorted(p.stem for p in (REPO / "params" / "tenants")
                                        .glob("*.yaml")))
def test_the_demo_params_load(name):
    assert params.load_tenant(REPO / "params", name).tenant_id == name


def test_a_misspelled_time_zone_names_the_file(tmp_path):
    path = write_acme(tmp_path, timezone="America/Sao_Paolo")
    assert error_of(tmp_path) == (f"{path}: field timezone: 'America/Sao_Paolo' is not an IANA "
                                  "time zone; did you mean America/Sao_Paulo?")
    path = write_acme(tmp_path, timezone="Middle/Earth_Shire")
    assert error_of(tmp_path) == (f"{path}: field timezone: 'Middle/Earth_Shire' is not an "
                                  "IANA time zone (e.g. America/Sao_Paulo, UTC)")


@pytest.mark.parametrize(("options", "says"), [
    ({"extract_identities": "plain"},
     "field options.extract_identities: 'plain' is not one of masked, full, both"),
    ({"extract_identities": True},
     "field options.extract_identities: True is not one of masked, full, both"),
    ({"funnels": {"name": "buy", "steps": [["menu", "open"]]}},
     "field options.funnels: expected a list of funnels ({name, steps: [[category, action], "
     "...]}), got {'name': 'buy', 'steps': [['menu', 'open']]}"),
    ({"funnels": [{"name": "buy", "steps": ["checkout"]}]},
     "field options.funnels[0]: needs steps as [category, action] pairs"),
    ({"funnels": [{"name": "buy", "steps": [["menu", "open"]]}, "checkout"]},
     "field options.funnels[1]: needs steps as [category, action] pairs"),
    ({"funnels": [{"name": "buy", "steps": [["menu", ["open"]]]}]},
     "field options.funnels[0]: needs steps as [category, action] pairs"),
    ({"funnels": [{"name": "buy"}]},
     "field options.funnels[0]: needs steps as [category, action] pairs"),
    ({"campaign_variants": "c-1, c-2"},
     "field options.campaign_variants: expected a list of [campaign id, campaign id] pairs, "
     "got 'c-1, c-2'"),
    ({"campaign_variants": [["c-1", "c-2"], ["c-3"]]},
     "field options.campaign_variants[1]: expected a [campaign id, campaign id] pair, "
     "got ['c-3']"),
])
def test_a_wrong_option_value_is_one_line_naming_file_and_field(tmp_path, options, says):
    """Wrong values under `options:` stop on load, before a bundle is built or a file
    extracted (they were found later, or not at all)."""
    path = write_acme(tmp_path, options=options)
    assert error_of(tmp_path) == f"{path}: {says}"


def test_declared_variant_ids_are_text_like_the_campaign_ids(tmp_path):
    """YAML reads `[[101, 102]]` as numbers; campaign ids are text, so the pair would never
    match a campaign."""
    write_acme(tmp_path, options={"campaign_variants": [[101, "c-2"]]})
    tenant = params.load_tenant(tmp_path, "acme")
    assert tenant.options["campaign_variants"] == [["101", "c-2"]]


def test_a_bad_funnel_of_a_tenant_made_in_code_names_its_file():
    from dataclasses import replace

    from reportlib.marts import bundle
    from tests.conftest import ACME

    tenant = replace(ACME, options={"funnels": [{"name": "buy", "steps": ["checkout"]}]})
    with pytest.raises(ReportError) as caught:
        bundle.funnels_of(tenant)
    assert str(caught.value) == ("params/tenants/acme.yaml: field options.funnels[0]: needs "
                                 "steps as [category, action] pairs")


def test_the_readme_lists_every_option_and_its_example_loads(tmp_path):
    """The README's `options:` example, as an operator copies it into a tenant's file."""
    text = (REPO / "README.md").read_text("utf-8")
    block = text.split("```yaml\noptions:\n", 1)[1].split("```", 1)[0]
    options = yaml.safe_load("options:\n" + block)["options"]
    assert sorted(options) == sorted(params.OPTIONS)
    write_acme(tmp_path, options=options)
    tenant = params.load_tenant(tmp_path, "acme")
    assert tenant.options["campaign_variants"] == [["c-101", "c-102"]]


def test_a_file_not_named_as_a_tenant_is_refused_not_skipped(tmp_path):
    """`params/tenants/Varejo Sul.yaml` was skipped without a word, so `--all-tenants` left
    that tenant out; now it is one line naming the file. A hidden editor file is no tenant."""
    write_acme(tmp_path)
    (tmp_path / "tenants" / ".#acme.yaml").write_text("")
    assert params.list_tenants(tmp_path) == ["acme"]
    (tmp_path / "tenants" / "Varejo Sul.yaml").write_text("display_name: Varejo\n")
    with pytest.raises(ReportError) as caught:
        params.list_tenants(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}/tenants/Varejo Sul.yaml: 'Varejo Sul' is not a valid tenant id "
        "(^[a-z0-9][a-z0-9_-]{0,62}$): rename the file")


def test_a_tenant_file_named_yml_is_a_tenant_and_two_files_of_one_tenant_are_refused(
        tmp_path):
    """`params/tenants/beta.yml` was left out of `--all-tenants` without a word (only `.yaml`
    was read); it is read as `.yaml` is. Both spellings for one tenant: which one holds its
    settings? One line naming both."""
    write_acme(tmp_path)
    (tmp_path / "tenants" / "beta.yml").write_text("display_name: Beta Lojas\n")
    assert params.list_tenants(tmp_path) == ["acme", "beta"]
    assert params.load_tenant(tmp_path, "beta").display_name == "Beta Lojas"
    (tmp_path / "tenants" / "beta.yaml").write_text("display_name: Beta\n")
    assert params.list_tenants(tmp_path) == ["acme", "beta"]
    with pytest.raises(ReportError) as caught:
        params.load_tenant(tmp_path, "beta")
    assert str(caught.value) == (f"{tmp_path}/tenants/beta.yaml: beta.yml holds the settings "
                                 "of 'beta' too: keep one of the two files")


def test_a_folder_named_as_a_tenants_file_is_not_an_unknown_tenant(tmp_path):
    """A folder `tenants/acme.yaml` was reported as "unknown tenant 'acme': no .../acme.yaml",
    which the operator can see is there; it says what is wrong with it now."""
    (tmp_path / "tenants" / "acme.yaml").mkdir(parents=True)
    assert error_of(tmp_path) == (f"{tmp_path}/tenants/acme.yaml: not a file (a tenant's "
                                  "settings are a YAML file)")


def test_a_setting_given_twice_is_one_line_naming_the_second(tmp_path):
    """PyYAML keeps the last of two `timezone:` lines in silence: a line appended below the
    first changed the tenant's time zone without a word. Now it names the file and line."""
    path = write_acme(tmp_path, timezone="America/Sao_Paulo")
    path.write_text(path.read_text(encoding="utf-8") + "timezone: UTC\n", encoding="utf-8")
    assert error_of(tmp_path) == f"{path}: line 3: field timezone: given twice (keep one)"
    path.write_text("display_name: Acme\nrecipients:\n  all: [a@x.example]\n"
                    "  all: [b@x.example]\n", encoding="utf-8")
    assert error_of(tmp_path) == f"{path}: line 4: field all: given twice (keep one)"


def test_every_settings_file_refuses_a_key_given_twice(tmp_path, monkeypatch):
    """schedule.yaml, smtp.yaml and reports.yaml took the last of a key given twice in
    silence, as tenant files did (a second `email:` of an entry, a second `host:`); each is
    one line naming the file, line and field now."""
    from reportlib import deliver
    from reportlib.deliver import schedule
    from reportlib.environment import command_settings

    for name in ("HOST", "FROM", "PORT", "SECURITY", "USER", "PASSWORD"):
        monkeypatch.delenv(f"REPORTLIB_SMTP_{name}", raising=False)
    params.dump_tenant(tmp_path, ACME)
    (tmp_path / "schedule.yaml").write_text(
        "schedules:\n  - name: x\n    cadence: daily\n    period: month_to_date\n"
        "    email: true\n    email: false\n")
    with pytest.raises(ReportError) as caught:
        schedule.load(tmp_path)
    assert str(caught.value) == (f"{tmp_path / 'schedule.yaml'}: line 6: field email: given "
                                 "twice (keep one)")
    (tmp_path / "smtp.yaml").write_text("host: a.example\nfrom: r@x.example\nhost: b.example\n")
    with pytest.raises(ReportError) as caught:
        deliver.smtp_settings(tmp_path, command_settings().smtp)
    assert str(caught.value) == (f"{tmp_path / 'smtp.yaml'}: line 3: field host: given twice "
                                 "(keep one)")
    (tmp_path / "reports.yaml").write_text("reports:\n  a: {}\nreports:\n  b: {}\n")
    with pytest.raises(ReportError) as caught:
        params.load_site_reports(tmp_path)
    assert str(caught.value) == (f"{tmp_path / 'reports.yaml'}: line 3: field reports: given "
                                 "twice (keep one)")


def test_currency_is_an_iso_code(tmp_path):
    """`currency: XYZ` or `currency: reais` loaded, and nothing read it; a code is checked
    now, written any case. (Amounts are shown in US dollars, Meta's rates' currency.)"""
    (tmp_path / "tenants").mkdir()
    for written, says in (("XYZ", "'XYZ' is not"), ("reais", "'REAIS' is not")):
        (tmp_path / "tenants" / "acme.yaml").write_text(f"currency: {written}\n")
        with pytest.raises(ReportError) as caught:
            params.load_tenant(tmp_path, "acme")
        assert str(caught.value) == (f"{tmp_path / 'tenants' / 'acme.yaml'}: field currency: "
                                     f"{says} an ISO 4217 currency code (e.g. USD, BRL)")
    (tmp_path / "tenants" / "acme.yaml").write_text("currency: ' brl '\n")
    assert params.load_tenant(tmp_path, "acme").currency == "BRL"


@pytest.mark.parametrize("written", ["true", "yes", "on"])
def test_a_yes_or_no_is_not_a_number_of_minutes(tmp_path, written):
    """`sla_target_minutes: yes` is a boolean to YAML, and Python's True is the int 1: it
    loaded as a 1-minute target (True), and the attendance report then failed in its kernel
    with 'InvalidOperation: [<class 'decimal.ConversionSyntax'>]' naming no file or field."""
    (tmp_path / "tenants").mkdir()
    path = tmp_path / "tenants" / "acme.yaml"
    path.write_text(f"sla_target_minutes: {written}\n")
    assert error_of(tmp_path) == f"{path}: field sla_target_minutes: expected int, got True"


def test_a_direction_control_in_the_display_name_is_a_usage_error(tmp_path):
    """The tenant's name reaches the index, every page's title and footer and the e-mail's
    subject: a right-to-left override in it ('Acme\\u202e') turned the rest of each round.
    Refused on one line naming the file, the field and the character."""
    folder = tmp_path / "params" / "tenants"
    folder.mkdir(parents=True)
    (folder / "acme.yaml").write_text("display_name: \"Acme \\u202eLojas\"\n", encoding="utf-8")
    with pytest.raises(ReportError) as err:
        params.load_tenant(tmp_path / "params", "acme")
    assert str(err.value) == (f"{folder / 'acme.yaml'}: field display_name: holds the direction "
                              "control U+202E: remove it")

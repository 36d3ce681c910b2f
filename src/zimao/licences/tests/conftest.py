import pytest

from zimao.licences import services

# Published unified social credit codes that pass GB 32100-2015 (see reference/standards.md).
HOLDER = "91110108551385082Q"
OTHER_HOLDER = "914403001922038216"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("applicant", password="pw-applicant-1")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user("stranger", password="pw-stranger-1")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("officer", password="pw-officer-1", is_staff=True)


@pytest.fixture
def issue(user):
    """Issue a credential with sensible defaults; keyword arguments override them."""

    def _issue(**kw):
        params = {
            "kind": "business_licence",
            "title_zh": "营业执照",
            "title_en": "Business licence",
            "holder_uscc": HOLDER,
            "holder_name": "洛阳示例科技有限公司",
            "subject": {
                "name": "洛阳示例科技有限公司",
                "legal_representative": "张三丰",
                "registered_capital": "100万元人民币",
                "legal_representative_id_number": "11010519491231002X",
                "applicant_user_id": user.id,
            },
            "actor": "system:test",
        }
        params.update(kw)
        return services.issue_credential(**params)

    return _issue

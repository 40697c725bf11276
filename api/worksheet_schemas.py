"""Request and response shapes of the worksheet (issue 6): rubric versions, answers, explain."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from api.schemas import MAX_INT, EvaluationOut, JakartaDateTime, StrictBoolean, UnmetOut
from workflow.lke.answers import MAX_NOTE
from workflow.lke.evidence import MAX_DESCRIPTION
from workflow.lke.marking import MAX_COUNT


class AnswerValue(fields.Field):
    """An option key (``Ya``, ``Tidak``, ``A``…``E``) or a survey index (``"3.25"`` or 3.25)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise ValidationError("Harus teks atau angka / must be text or a number")
        if isinstance(value, str) and len(value) > 20:
            raise ValidationError("Terlalu panjang / too long")
        return value


_ANSWER_DOC = {"description": "yes_no: Ya|Tidak; abc/abcd/abcde: an option key A…E; "
                              "survey_index: 0–4 with at most two decimals; null clears it. "
                              "percent questions take `counts` instead.",
               "type": "string", "nullable": True, "example": "Ya"}
_COUNTS_DOC = {"description": "percent questions: every count field of the question "
                              "(GET /rubrics/{id}), whole numbers >= 0", "example":
               {"jumlah_agen_perubahan": 10, "jumlah_perubahan_dibuat": 8}}


class AnswerFields(Schema):
    answer = AnswerValue(allow_none=True, metadata=_ANSWER_DOC)
    counts = fields.Dict(keys=fields.String(validate=validate.Length(max=60)),
                         values=fields.Integer(strict=True,
                                               validate=validate.Range(min=0, max=MAX_COUNT)),
                         allow_none=True, metadata=_COUNTS_DOC)
    note = fields.String(validate=validate.Length(max=MAX_NOTE), metadata={
        "description": "the unit's note (self) or the assessor's note (tpi, tpn)"})
    needs_revision = StrictBoolean(metadata={
        "description": "tpi/tpn only: the unit must revise this question"})
    evidence_links = fields.List(fields.String(validate=validate.Length(max=2000)),
                                 validate=validate.Length(max=20), metadata={
        "description": "self only: links to evidence (bukti dukung); known links are kept once",
        "example": ["https://drive.example.go.id/sk-tim-zi.pdf"]})


class AnswerIn(AnswerFields):
    expected_version = fields.Integer(strict=True, required=True,
                                      validate=validate.Range(min=1, max=MAX_INT))


class ItemAnswerIn(AnswerFields):
    item_id = fields.String(required=True, validate=validate.Length(min=1, max=160))


class AnswersIn(Schema):
    expected_version = fields.Integer(strict=True, required=True,
                                      validate=validate.Range(min=1, max=MAX_INT))
    items = fields.List(fields.Nested(ItemAnswerIn), required=True,
                        validate=validate.Length(min=1, max=500))


class OptionOut(Schema):
    key = fields.String()
    value = fields.String(metadata={"description": "value of the option in [0, 1]"})
    text = fields.String(allow_none=True)


class CountFieldOut(Schema):
    key = fields.String()
    label = fields.String()
    soal_id = fields.Integer(allow_none=True)


class FormulaOut(Schema):
    numerator = fields.List(fields.String())
    numerator_minus = fields.List(fields.String())
    denominator = fields.List(fields.String())
    cap = fields.Boolean()
    if_denominator_zero = fields.String()


class QuestionOut(Schema):
    id = fields.String()
    component = fields.String()
    aspect = fields.String()
    area = fields.String()
    indicator = fields.String()
    key = fields.String()
    text = fields.String()
    answer_type = fields.String(validate=validate.OneOf(
        ("yes_no", "abc", "abcd", "abcde", "percent", "survey_index")))
    options = fields.List(fields.Nested(OptionOut))
    count_fields = fields.List(fields.Nested(CountFieldOut))
    formula = fields.Nested(FormulaOut, allow_none=True)
    scale_max = fields.String(allow_none=True)
    weight = fields.String()
    evidence_required = fields.Boolean()
    soal_ids = fields.List(fields.Integer(), metadata={"description": "PortalRB question ids"})
    explanation = fields.String(allow_none=True)


class IndicatorOut(Schema):
    path = fields.String()
    name = fields.String()
    weight = fields.String()
    questions = fields.List(fields.String())


class RubricSummaryOut(Schema):
    id = fields.String()
    title = fields.String()
    format = fields.String()
    regulation = fields.String()
    sha256 = fields.String()
    questions = fields.Integer()


class RubricOut(RubricSummaryOut):
    areas = fields.Dict(keys=fields.String(), values=fields.String())
    indicators = fields.List(fields.Nested(IndicatorOut))
    question_list = fields.List(fields.Nested(QuestionOut), data_key="question_list")


class EvidenceOut(Schema):
    id = fields.Integer()
    item_id = fields.String()
    link = fields.String(allow_none=True)
    filename = fields.String(allow_none=True)
    content_type = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    sha256 = fields.String(allow_none=True)
    description = fields.String()
    uploaded_by = fields.Integer()
    uploaded_at = JakartaDateTime()


class ReviewOut(Schema):
    needs_revision = fields.Boolean()
    note = fields.String()


class AnswerStateOut(Schema):
    answer = fields.String(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    note = fields.String()
    revision = fields.Integer()
    needs_revision = fields.Boolean()
    value = fields.String(allow_none=True, metadata={"description": "value in [0, 1]"})
    answered_by = fields.Integer(allow_none=True)
    answered_at = JakartaDateTime(allow_none=True)


class WorksheetQuestionOut(QuestionOut, AnswerStateOut):
    evidence = fields.List(fields.Nested(EvidenceOut))
    review = fields.Dict(keys=fields.String(), values=fields.Nested(ReviewOut))


class WorksheetOut(Schema):
    case_id = fields.Integer()
    kind = fields.String()
    rubric_id = fields.String()
    rubric_sha256 = fields.String()
    case_version = fields.Integer()
    editable = fields.Boolean()
    complete = fields.Boolean()
    unanswered = fields.List(fields.String())
    without_evidence = fields.List(fields.String())
    flagged = fields.List(fields.String())
    changed_since_return = fields.List(fields.String(), allow_none=True)
    evaluation = fields.Nested(EvaluationOut)
    questions = fields.List(fields.Nested(WorksheetQuestionOut))


class SideQuestionOut(Schema):
    id = fields.String()
    area = fields.String()
    text = fields.String()
    answer_type = fields.String()
    self_ = fields.Nested(AnswerStateOut, data_key="self", attribute="self")
    tpi = fields.Nested(AnswerStateOut)
    tpn = fields.Nested(AnswerStateOut)
    differs = fields.Boolean()


class SideFigureOut(Schema):
    key = fields.String()
    self_ = fields.String(data_key="self", attribute="self")
    tpi = fields.String()
    tpn = fields.String()
    differs = fields.Boolean()


class SideBySideOut(Schema):
    case_id = fields.Integer()
    rubric_id = fields.String()
    questions = fields.List(fields.Nested(SideQuestionOut))
    areas = fields.List(fields.Nested(SideFigureOut))
    total = fields.Nested(SideFigureOut)


class RevisionOut(Schema):
    revision = fields.Integer()
    answer = fields.String(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    note = fields.String()
    needs_revision = fields.Boolean()
    answered_by = fields.Integer()
    answered_at = JakartaDateTime()


class ExplainQuery(Schema):
    target = fields.String(validate=validate.OneOf(("WBK", "WBBM")), metadata={
        "description": "predicate whose thresholds are explained; default the case's target"})


class ExplainQuestionOut(Schema):
    id = fields.String()
    text = fields.String()
    answer_type = fields.String()
    answer = fields.String(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)
    value = fields.String(allow_none=True)
    weight = fields.String()


class ExplainIndicatorOut(Schema):
    path = fields.String()
    component = fields.String()
    area = fields.String()
    name = fields.String()
    weight = fields.String()
    mean = fields.String()
    points = fields.String()
    arithmetic = fields.String()
    questions = fields.List(fields.Nested(ExplainQuestionOut))


class ExplainAreaOut(Schema):
    key = fields.String()
    name = fields.String()
    weight = fields.String()
    points = fields.String()
    arithmetic = fields.String()


class MoverOut(Schema):
    id = fields.String()
    text = fields.String()
    answered = fields.Boolean()
    gain = fields.String(metadata={"description": "points gained by the best answer"})


class ExplainUnmetOut(UnmetOut):
    questions = fields.List(fields.Nested(MoverOut))


class ExplainTotalOut(Schema):
    value = fields.String()
    arithmetic = fields.String()


class ExplainOut(Schema):
    rubric = fields.String()
    target = fields.String()
    rule = fields.String()
    evaluation = fields.Nested(EvaluationOut)
    total = fields.Nested(ExplainTotalOut)
    areas = fields.List(fields.Nested(ExplainAreaOut))
    indicators = fields.List(fields.Nested(ExplainIndicatorOut))
    unanswered = fields.List(fields.String())
    unmet = fields.List(fields.Nested(ExplainUnmetOut))


class FileField(Upload):
    """A file part of a multipart body (a plain form field of the same name is refused)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, FileStorage):
            raise ValidationError("Harus berkas / must be a file part")
        return value


class EvidenceUploadIn(Schema):
    """``multipart/form-data``: the file and the case version the client last saw."""

    file = FileField(required=True, metadata={
        "description": "PDF, PNG, JPEG, GIF, WebP, TIFF or an office document (doc/docx, "
                       "xls/xlsx, ppt/pptx, odt/ods/odp); the type is read from the content "
                       "and must match the name's extension; at most EVIDENCE_MAX_BYTES "
                       "(10 MiB by default)"})
    expected_version = fields.Integer(required=True,
                                      validate=validate.Range(min=1, max=MAX_INT))
    description = fields.String(validate=validate.Length(max=MAX_DESCRIPTION), metadata={
        "description": "what the file shows"})


class EvidenceReplaceIn(EvidenceUploadIn):
    description = fields.String(validate=validate.Length(max=MAX_DESCRIPTION), metadata={
        "description": "what the file shows (default: the replaced one's description)"})


class EvidenceDeleteQuery(Schema):
    expected_version = fields.Integer(required=True,
                                      validate=validate.Range(min=1, max=MAX_INT))


class EvidenceWriteOut(Schema):
    evidence = fields.Nested(EvidenceOut)
    case_version = fields.Integer(metadata={"description": "the case's version after the write"})


class ExcelImportIn(Schema):
    """``multipart/form-data``: the filled workbook and the case version the client saw."""

    file = FileField(required=True, metadata={
        "description": "an .xlsx file with the sheet Jawaban (as exported): the self "
                       "worksheet reads K (answer), L (note), M (evidence links); tpi reads N "
                       "and Q; tpn reads R and S. No formulas in those cells."})
    expected_version = fields.Integer(required=True,
                                      validate=validate.Range(min=1, max=MAX_INT))


class ExcelImportOut(Schema):
    changed = fields.List(fields.String(), metadata={
        "description": "the questions whose answer, note or evidence changed (empty: none)"})
    case_version = fields.Integer()

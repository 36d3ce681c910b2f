"""What the case engine tells other apps (sent after commit). Indicators listen; cases never
read indicators."""

from django.dispatch import Signal

case_finished = Signal()  # kwargs: case_id, number, status, service_code
case_rated = Signal()  # kwargs: rating_id

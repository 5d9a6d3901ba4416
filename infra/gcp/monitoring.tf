# weavefn on Google Cloud: the decision-metrics dashboard, and an example alert policy on Weaviate
# QPS notifying the alerts topic.

locals {
  example_namespace = split("/", var.example_cluster)[0]
  example_name      = split("/", var.example_cluster)[1]
}

resource "google_monitoring_notification_channel" "alerts" {
  display_name = "weavefn alerts topic"
  type         = "pubsub"
  labels = {
    topic = google_pubsub_topic.this["alerts"].id
  }
}

# Managed Service for Prometheus keeps Weaviate's request histogram; its count rate is the QPS.
# Label keys may not hold "." or "/", so the cluster is named by the user label
# weaviate_io_cluster = <namespace>_<name>, which weavefn reads back as namespace/name.
resource "google_monitoring_alert_policy" "example_qps" {
  display_name = "weavefn ${var.example_cluster} QPS above target"
  combiner     = "OR"
  severity     = "WARNING"

  user_labels = {
    weaviate_io_cluster = "${local.example_namespace}_${local.example_name}"
  }

  conditions {
    display_name = "QPS above ${var.example_qps_threshold}"
    condition_prometheus_query_language {
      query               = "sum(rate(weaviate_http_request_duration_seconds_count{namespace=\"${local.example_namespace}\", pod=~\"${local.example_name}-[0-9]+\"}[2m])) > ${var.example_qps_threshold}"
      duration            = "120s"
      evaluation_interval = "60s"
    }
  }

  notification_channels = [google_monitoring_notification_channel.alerts.id]

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    content   = "weavefn re-evaluates autoscaling of ${var.example_cluster} when this opens or closes."
    mime_type = "text/markdown"
  }

  depends_on = [google_pubsub_topic_iam_member.monitoring_publisher]
}

# The decision metrics the functions write (custom.googleapis.com/weavefn/*, README "Decision
# metrics"), every namespace/cluster at once.
resource "google_monitoring_dashboard" "weavefn" {
  dashboard_json = file("${path.module}/dashboard.json")
}

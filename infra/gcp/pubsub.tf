# weavefn on Google Cloud: the alerts, ticks and fan-out topics and the one-minute schedule.

resource "google_pubsub_topic" "this" {
  #checkov:skip=CKV_GCP_83:Messages name a cluster or carry an incident summary, no secrets; Google-managed encryption applies.
  for_each                   = toset(["alerts", "ticks", "fanout"])
  name                       = "${var.name_prefix}-${each.key}"
  message_retention_duration = "86400s"
}

# The schedule and fan-out functions publish one message per cluster.
resource "google_pubsub_topic_iam_member" "fanout_publisher" {
  topic  = google_pubsub_topic.this["fanout"].id
  role   = "roles/pubsub.publisher"
  member = google_service_account.functions.member
}

# Cloud Monitoring publishes incidents to the alerts topic as its service agent.
resource "google_pubsub_topic_iam_member" "monitoring_publisher" {
  topic  = google_pubsub_topic.this["alerts"].id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-monitoring-notification.iam.gserviceaccount.com"
}

# Alerts fire only on transitions; this tick re-evaluates every cluster each minute.
resource "google_cloud_scheduler_job" "tick" {
  name        = "${var.name_prefix}-tick"
  region      = var.region
  description = "weavefn reconcile tick"
  schedule    = "* * * * *"
  time_zone   = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.this["ticks"].id
    data       = base64encode(jsonencode({ source = "cloud-scheduler", job = "${var.name_prefix}-tick" }))
  }
}

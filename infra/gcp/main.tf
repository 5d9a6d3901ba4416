# weavefn on Google Cloud: the functions (2nd gen) from a zipped source object, and their
# service account with exactly the roles the code needs.

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  cluster = "gke:${var.project_id}/${var.cluster_location}/${var.cluster_name}"
  # The cloudfunctions.net URL of a 2nd gen function is known before it exists, so the HTTP
  # function can check Cloud Scheduler OIDC tokens against its own address.
  http_function_name = "${var.name_prefix}-http"
  oidc_audience      = "https://${var.region}-${var.project_id}.cloudfunctions.net/${local.http_function_name}"
  environment = {
    WEAVEFN_CLUSTER        = local.cluster
    WEAVEFN_QUEUE          = "pubsub:${google_pubsub_topic.this["fanout"].id}"
    WEAVEFN_PROMETHEUS_URL = var.prometheus_url
    WEAVEFN_OIDC_AUDIENCE  = local.oidc_audience
    # Follow-ups: Cloud Tasks HTTP tasks to the HTTP function's /followup route (tasks.tf).
    WEAVEFN_FOLLOWUPS                = "cloudtasks:${google_cloud_tasks_queue.follow_ups.id}"
    WEAVEFN_FOLLOWUP_URL             = "${local.oidc_audience}/followup"
    WEAVEFN_FOLLOWUP_SERVICE_ACCOUNT = google_service_account.functions.email
    WEAVEFN_LOG_LEVEL                = var.log_level
    # Decision metrics as Cloud Monitoring custom metrics (roles/monitoring.metricWriter).
    WEAVEFN_METRICS       = "cloud-monitoring"
    WEAVEFN_METRICS_SCOPE = var.metrics_scope
    GOOGLE_CLOUD_PROJECT  = var.project_id
  }
  # One function per topic: a 2nd gen function has exactly one event trigger.
  pubsub_functions = {
    alerts = { timeout = 60, retry = false }
    ticks  = { timeout = 60, retry = false }
    # Fan-out messages are retried: each names one cluster and reconciling twice is harmless.
    fanout = { timeout = 60, retry = true }
  }
}

resource "google_service_account" "functions" {
  account_id   = "${var.name_prefix}-functions"
  display_name = "weavefn functions"
  description  = "Identity of the weavefn Cloud Functions; Kubernetes RBAC binds it to the ClusterRole weavefn."
}

resource "google_project_iam_member" "monitoring_viewer" {
  project = var.project_id
  role    = "roles/monitoring.viewer"
  member  = google_service_account.functions.member
}

resource "google_project_iam_member" "metric_writer" {
  project = var.project_id
  role    = "roles/monitoring.metricWriter"
  member  = google_service_account.functions.member
}

# Lets the functions fetch the cluster endpoint and authenticate to the API server; what they
# may do inside comes only from the ClusterRoleBinding in infra/k8s (GKE has no per-cluster IAM).
resource "google_project_iam_member" "cluster_viewer" {
  project = var.project_id
  role    = "roles/container.clusterViewer"
  member  = google_service_account.functions.member
}

resource "google_secret_manager_secret_iam_member" "upgrade_secret" {
  project   = var.project_id
  secret_id = var.upgrade_secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.functions.member
}

resource "google_secret_manager_secret_iam_member" "admission_token" {
  count     = var.admission_token_secret_id == null ? 0 : 1
  project   = var.project_id
  secret_id = var.admission_token_secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.functions.member
}

resource "google_storage_bucket" "source" {
  #checkov:skip=CKV_GCP_62:Holds only function source archives uploaded by CI; access logs would need a second bucket.
  name                        = "${var.project_id}-${var.name_prefix}-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 5
    }
    action {
      type = "Delete"
    }
  }
}

# The object name carries the archive's hash, so a new build redeploys the functions.
resource "google_storage_bucket_object" "source" {
  name   = "weavefn-${filemd5(var.source_archive)}.zip"
  bucket = google_storage_bucket.source.name
  source = var.source_archive
}

resource "google_cloudfunctions2_function" "http" {
  #checkov:skip=CKV_GCP_124:The Kubernetes API server (admission) and CI (upgrade) call it from outside the VPC.
  name        = local.http_function_name
  location    = var.region
  description = "weavefn admission webhook, upgrade requests, Cloud Scheduler HTTP ticks, Cloud Tasks follow-ups, SNS"

  build_config {
    runtime     = "python312"
    entry_point = "on_http"
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    # A Cloud Tasks follow-up is a full pass over one cluster, with the Pub/Sub functions' 60 s;
    # the other routes keep a 10 s budget in code (the API server waits 5 s for admission).
    timeout_seconds                = 60
    available_memory               = "512M"
    max_instance_count             = var.http_max_instances
    ingress_settings               = "ALLOW_ALL"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.functions.email
    environment_variables          = local.environment

    secret_environment_variables {
      key        = "WEAVEFN_UPGRADE_SECRET"
      project_id = var.project_id
      secret     = var.upgrade_secret_id
      version    = "latest"
    }

    dynamic "secret_environment_variables" {
      for_each = var.admission_token_secret_id == null ? [] : [var.admission_token_secret_id]
      content {
        key        = "WEAVEFN_ADMISSION_TOKEN"
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.upgrade_secret]
}

# The Kubernetes API server calls the admission webhook without Google credentials, and CI
# signs upgrade requests with HMAC: the function authenticates every request itself.
resource "google_cloud_run_service_iam_member" "http_public" {
  #checkov:skip=CKV_GCP_102:The API server cannot present Google credentials; the function checks the admission token, HMAC signatures, OIDC and SNS signatures itself.
  location = var.region
  service  = google_cloudfunctions2_function.http.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloudfunctions2_function" "pubsub" {
  for_each    = local.pubsub_functions
  name        = "${var.name_prefix}-${each.key}"
  location    = var.region
  description = "weavefn Pub/Sub trigger on the ${each.key} topic"

  build_config {
    runtime     = "python312"
    entry_point = "on_pubsub"
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory               = "512M"
    timeout_seconds                = each.value.timeout
    max_instance_count             = 5
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.functions.email
    environment_variables          = local.environment

    secret_environment_variables {
      key        = "WEAVEFN_UPGRADE_SECRET"
      project_id = var.project_id
      secret     = var.upgrade_secret_id
      version    = "latest"
    }
  }

  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic          = google_pubsub_topic.this[each.key].id
    retry_policy          = each.value.retry ? "RETRY_POLICY_RETRY" : "RETRY_POLICY_DO_NOT_RETRY"
    service_account_email = google_service_account.functions.email
  }

  depends_on = [google_secret_manager_secret_iam_member.upgrade_secret]
}

# Eventarc pushes each message as the functions' service account.
resource "google_cloud_run_service_iam_member" "pubsub_invoker" {
  for_each = google_cloudfunctions2_function.pubsub
  location = var.region
  service  = each.value.name
  role     = "roles/run.invoker"
  member   = google_service_account.functions.member
}

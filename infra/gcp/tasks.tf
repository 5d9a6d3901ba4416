# weavefn on Google Cloud: the follow-up queue. A pass that leaves work in flight creates one
# HTTP task, due when it must look again, that POSTs to the HTTP function's /followup route
# with an OIDC token of the functions' service account (Pub/Sub cannot delay a message).

resource "google_cloud_tasks_queue" "follow_ups" {
  name     = "${var.name_prefix}-followups"
  location = var.region

  # Passes are level-based: a retried task is harmless, and the one-minute tick is the safety
  # net when every attempt fails.
  retry_config {
    max_attempts  = 5
    min_backoff   = "1s"
    max_backoff   = "30s"
    max_doublings = 4
  }

  rate_limits {
    max_dispatches_per_second = 50
    max_concurrent_dispatches = 20
  }
}

# The functions create tasks in this queue only.
resource "google_cloud_tasks_queue_iam_member" "follow_up_enqueuer" {
  name     = google_cloud_tasks_queue.follow_ups.id
  location = var.region
  role     = "roles/cloudtasks.enqueuer"
  member   = google_service_account.functions.member
}

# A task carrying an OIDC token of a service account may be created only by one that can act as
# it: here the functions' account, as itself, and no other.
resource "google_service_account_iam_member" "follow_up_token" {
  service_account_id = google_service_account.functions.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.functions.member
}

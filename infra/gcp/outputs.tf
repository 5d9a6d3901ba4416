# weavefn on Google Cloud: what the Kubernetes overlay and CI need after `terraform apply`.

output "http_url" {
  description = "Base URL of the HTTP function: <url>/admission for the webhook, <url>/upgrade and <url>/restore for CI."
  value       = google_cloudfunctions2_function.http.url
}

output "admission_webhook_url" {
  description = "URL to patch into infra/k8s/webhook.yaml (clientConfig.url)."
  value       = "${google_cloudfunctions2_function.http.url}/admission"
}

output "service_account_email" {
  description = "GKE authenticates the functions as this user; bind it in the weavefn ClusterRoleBinding."
  value       = google_service_account.functions.email
}

output "topics" {
  description = "Pub/Sub topic ids by role (alerts, ticks, fanout)."
  value       = { for k, t in google_pubsub_topic.this : k => t.id }
}

output "alerts_notification_channel" {
  description = "Notification channel to add to other alert policies that should wake weavefn."
  value       = google_monitoring_notification_channel.alerts.id
}

# weavefn on Google Cloud: inputs. Only project_id, cluster_location, cluster_name,
# upgrade_secret_id and source_archive have no default.

variable "project_id" {
  description = "Project that hosts the functions, topics and the GKE cluster."
  type        = string
}

variable "region" {
  description = "Region of the functions, topics' triggers and the scheduler job."
  type        = string
  default     = "europe-west1"
}

variable "name_prefix" {
  description = "Prefix of every resource name; lets several weavefn installs share a project."
  type        = string
  default     = "weavefn"
}

variable "cluster_location" {
  description = "Location (region or zone) of the GKE cluster weavefn manages."
  type        = string
}

variable "cluster_name" {
  description = "Name of the GKE cluster weavefn manages."
  type        = string
}

variable "upgrade_secret_id" {
  description = "Secret Manager secret id (short name) holding the HMAC secret for upgrade and restore requests. Created outside Terraform so its value never enters the state."
  type        = string
}

variable "admission_token_secret_id" {
  description = "Optional Secret Manager secret id holding the admission webhook's shared token; null leaves WEAVEFN_ADMISSION_TOKEN unset."
  type        = string
  default     = null
}

variable "source_archive" {
  description = "Path of the function source zip (main.py, requirements.txt, weavefn/, functions/), built by `npm run build:gcp`."
  type        = string
  default     = "../../.build/weavefn-gcp.zip"
}

variable "prometheus_url" {
  description = "Optional Prometheus-compatible query URL for qps/latency metrics (WEAVEFN_PROMETHEUS_URL); empty uses Cloud Monitoring."
  type        = string
  default     = ""
}

variable "log_level" {
  description = "WEAVEFN_LOG_LEVEL of every function."
  type        = string
  default     = "INFO"
}

variable "http_max_instances" {
  description = "Upper bound of concurrent instances of the HTTP function (admission, upgrade, restore, schedule, sns)."
  type        = number
  default     = 10
}

variable "example_cluster" {
  description = "The WeaviateCluster (namespace/name) the example QPS alert policy watches."
  type        = string
  default     = "weaviate/production"
}

variable "example_qps_threshold" {
  description = "QPS above which the example alert policy opens an incident (the autoscaling target)."
  type        = number
  default     = 200
}

variable "metrics_scope" {
  description = "WEAVEFN_METRICS_SCOPE: cluster writes every decision metric per cluster; fleet only the fleet_* totals (large fleets: every series is billed)."
  type        = string
  default     = "cluster"
}

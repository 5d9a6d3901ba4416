# weavefn on Azure: inputs. Only subscription_id, the AKS cluster, the Key Vault secret and
# the storage account name have no default.

variable "subscription_id" {
  description = "Subscription that hosts the Function App and the AKS cluster."
  type        = string
}

variable "location" {
  description = "Azure region of the Function App, storage and identity."
  type        = string
  default     = "westeurope"
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "weavefn"
}

variable "resource_group_name" {
  description = "Resource group created for weavefn's resources."
  type        = string
  default     = "weavefn"
}

variable "storage_account_name" {
  description = "Globally unique storage account name (3-24 lowercase letters and digits) for the Function App and the fan-out queue."
  type        = string
}

variable "aks_resource_group_name" {
  description = "Resource group of the AKS cluster weavefn manages."
  type        = string
}

variable "aks_cluster_name" {
  description = "Name of the AKS cluster weavefn manages."
  type        = string
}

variable "key_vault_id" {
  description = "Resource id of the Key Vault (Azure RBAC authorization) holding the upgrade HMAC secret."
  type        = string
}

variable "upgrade_secret_name" {
  description = "Name of the Key Vault secret holding the HMAC secret for upgrade and restore requests. Created outside Terraform so its value never enters the state."
  type        = string
}

variable "admission_token_secret_name" {
  description = "Optional Key Vault secret (same vault) holding the admission webhook's shared token; null leaves WEAVEFN_ADMISSION_TOKEN unset."
  type        = string
  default     = null
}

variable "package_zip" {
  description = "Path of the Function App package (function_app.py, host.json, weavefn/, .python_packages/), built by `npm run build:azure`."
  type        = string
  default     = "../../.build/weavefn-azure.zip"
}

variable "prometheus_url" {
  description = "Optional Prometheus-compatible query URL (e.g. an Azure Monitor workspace) for qps/latency metrics."
  type        = string
  default     = ""
}

variable "log_level" {
  description = "WEAVEFN_LOG_LEVEL of the Function App."
  type        = string
  default     = "INFO"
}

variable "enable_application_insights" {
  description = "Create a Log Analytics workspace and Application Insights for the Function App."
  type        = bool
  default     = true
}

variable "example_cluster" {
  description = "The WeaviateCluster (namespace/name) the example QPS metric alert watches."
  type        = string
  default     = "weaviate/production"
}

variable "example_qps_threshold" {
  description = "QPS above which the example metric alert fires (the autoscaling target)."
  type        = number
  default     = 200
}

variable "metrics_scope" {
  description = "WEAVEFN_METRICS_SCOPE: cluster sends every decision metric per cluster; fleet only the fleet_* totals (large fleets: ingestion is billed)."
  type        = string
  default     = "cluster"
}

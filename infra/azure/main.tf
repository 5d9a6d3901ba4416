# weavefn on Azure: the Linux Function App (Consumption, Python 3.11), its storage and fan-out
# queue, and the user-assigned identity with the three roles the code needs.

data "azurerm_kubernetes_cluster" "target" {
  name                = var.aks_cluster_name
  resource_group_name = var.aks_resource_group_name
}

locals {
  cluster    = "aks:${var.subscription_id}/${var.aks_resource_group_name}/${var.aks_cluster_name}"
  vault_name = element(split("/", var.key_vault_id), length(split("/", var.key_vault_id)) - 1)
  queue_name = "weavefn-reconcile"
  secret_refs = merge(
    { WEAVEFN_UPGRADE_SECRET = "@Microsoft.KeyVault(VaultName=${local.vault_name};SecretName=${var.upgrade_secret_name})" },
    var.admission_token_secret_name == null ? {} : {
      WEAVEFN_ADMISSION_TOKEN = "@Microsoft.KeyVault(VaultName=${local.vault_name};SecretName=${var.admission_token_secret_name})"
    },
  )
  secret_names = compact([var.upgrade_secret_name, var.admission_token_secret_name])
}

resource "azurerm_resource_group" "this" {
  name     = var.resource_group_name
  location = var.location
}

resource "azurerm_user_assigned_identity" "functions" {
  name                = "${var.name_prefix}-functions"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
}

resource "azurerm_role_assignment" "monitoring_reader" {
  scope                = data.azurerm_kubernetes_cluster.target.id
  role_definition_name = "Monitoring Reader"
  principal_id         = azurerm_user_assigned_identity.functions.principal_id
}

# Lets the functions fetch the cluster's user kubeconfig (server and CA); what they may do
# inside comes only from the ClusterRoleBinding in infra/k8s (Entra ID group mapping).
resource "azurerm_role_assignment" "aks_cluster_user" {
  scope                = data.azurerm_kubernetes_cluster.target.id
  role_definition_name = "Azure Kubernetes Service Cluster User Role"
  principal_id         = azurerm_user_assigned_identity.functions.principal_id
}

# Scoped to each secret, not the vault: the identity can read nothing else there.
resource "azurerm_role_assignment" "secrets_user" {
  for_each             = toset(local.secret_names)
  scope                = "${var.key_vault_id}/secrets/${each.value}"
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.functions.principal_id
}

resource "azurerm_storage_account" "functions" {
  #checkov:skip=CKV2_AZURE_1:Microsoft-managed keys; holds the function package, host leases and cluster names only.
  #checkov:skip=CKV2_AZURE_33:No private endpoint: the Consumption plan reaches storage over the public endpoint.
  #checkov:skip=CKV_AZURE_33:Queue logging (classic diagnostics) is superseded by diagnostic settings, configured per organisation.
  #checkov:skip=CKV_AZURE_59:The Consumption plan has no VNet integration, so storage must stay reachable over its public endpoint.
  #checkov:skip=CKV_AZURE_206:Locally redundant: everything stored here is rebuilt by the next deploy or reconcile.
  #checkov:skip=CKV2_AZURE_40:The Functions host of the Consumption plan authenticates to its storage with the account key.
  name                            = var.storage_account_name
  resource_group_name             = azurerm_resource_group.this.name
  location                        = azurerm_resource_group.this.location
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  allow_nested_items_to_be_public = false
  shared_access_key_enabled       = true

  sas_policy {
    expiration_period = "01.00:00:00"
  }

  blob_properties {
    delete_retention_policy {
      days = 7
    }
  }
}

resource "azurerm_storage_queue" "reconcile" {
  name                 = local.queue_name
  storage_account_name = azurerm_storage_account.functions.name
}

resource "azurerm_service_plan" "functions" {
  #checkov:skip=CKV_AZURE_225:The Consumption plan (Y1) has no zone redundancy setting; the platform places instances.
  #checkov:skip=CKV_AZURE_212:The Consumption plan scales from zero by design; there is no instance minimum to set.
  name                = "${var.name_prefix}-plan"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  os_type             = "Linux"
  sku_name            = "Y1"
}

resource "azurerm_log_analytics_workspace" "this" {
  count               = var.enable_application_insights ? 1 : 0
  name                = "${var.name_prefix}-logs"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  sku                 = "PerGB2018"
  retention_in_days   = 30
}

resource "azurerm_application_insights" "this" {
  count               = var.enable_application_insights ? 1 : 0
  name                = "${var.name_prefix}-insights"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  workspace_id        = azurerm_log_analytics_workspace.this[0].id
  application_type    = "other"
}

# The decision metrics the functions send (customMetrics, README "Decision metrics"), every
# namespace/cluster at once.
resource "azurerm_application_insights_workbook" "weavefn" {
  count               = var.enable_application_insights ? 1 : 0
  name                = uuidv5("url", "https://weavefn.io/workbooks/${var.name_prefix}")
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  display_name        = "${var.name_prefix} decision metrics"
  source_id           = lower(azurerm_application_insights.this[0].id)
  category            = "workbook"
  data_json           = file("${path.module}/workbook.json")
}

resource "azurerm_linux_function_app" "weavefn" {
  #checkov:skip=CKV_AZURE_221:The Kubernetes API server (admission) and CI (upgrade) call it over the public endpoint.
  name                = "${var.name_prefix}-${var.storage_account_name}"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  service_plan_id     = azurerm_service_plan.functions.id

  storage_account_name       = azurerm_storage_account.functions.name
  storage_account_access_key = azurerm_storage_account.functions.primary_access_key
  zip_deploy_file            = var.package_zip

  https_only                      = true
  public_network_access_enabled   = true
  client_certificate_mode         = "Optional"
  key_vault_reference_identity_id = azurerm_user_assigned_identity.functions.id

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.functions.id]
  }

  site_config {
    minimum_tls_version                    = "1.2"
    ftps_state                             = "Disabled"
    http2_enabled                          = true
    application_insights_connection_string = var.enable_application_insights ? azurerm_application_insights.this[0].connection_string : null

    application_stack {
      python_version = "3.11"
    }
  }

  app_settings = merge(
    {
      WEAVEFN_CLUSTER        = local.cluster
      WEAVEFN_QUEUE          = "azure-queue:${azurerm_storage_account.functions.primary_queue_endpoint}${local.queue_name}"
      WEAVEFN_PROMETHEUS_URL = var.prometheus_url
      WEAVEFN_LOG_LEVEL      = var.log_level
      # Decision metrics as Application Insights custom metrics, when it is enabled.
      WEAVEFN_METRICS       = var.enable_application_insights ? "app-insights" : "off"
      WEAVEFN_METRICS_SCOPE = var.metrics_scope
      # DefaultAzureCredential picks the user-assigned identity by its client id.
      AZURE_CLIENT_ID = azurerm_user_assigned_identity.functions.client_id
      # Dependencies are prebuilt into .python_packages; no build on the Functions host.
      SCM_DO_BUILD_DURING_DEPLOYMENT = "false"
    },
    local.secret_refs,
  )

  depends_on = [azurerm_role_assignment.secrets_user]
}

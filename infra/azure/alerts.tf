# weavefn on Azure: the action group that calls the `alert` function and an example metric
# alert on the AKS cluster wired to it.

locals {
  functions_host = azurerm_linux_function_app.weavefn.default_hostname
}

# The `alert` function takes a function key; the URL (with the key) lives in the Terraform
# state and the action group, both readable only by the subscription's operators.
data "azurerm_function_app_host_keys" "weavefn" {
  name                = azurerm_linux_function_app.weavefn.name
  resource_group_name = azurerm_resource_group.this.name
}

resource "azurerm_monitor_action_group" "weavefn" {
  name                = "${var.name_prefix}-alerts"
  resource_group_name = azurerm_resource_group.this.name
  short_name          = "weavefn"

  webhook_receiver {
    name                    = "weavefn-alert"
    service_uri             = "https://${local.functions_host}/api/alert?code=${data.azurerm_function_app_host_keys.weavefn.default_function_key}"
    use_common_alert_schema = true
  }
}

# Weaviate QPS published as the custom metric Weaviate/qps on the AKS cluster with the
# dimension cluster=<namespace>/<name> (what the azureMonitor metric source reads). Alerts fire
# only on transitions; the timer re-evaluates in between.
resource "azurerm_monitor_metric_alert" "example_qps" {
  name                = "${var.name_prefix}-qps-${replace(var.example_cluster, "/", "-")}"
  resource_group_name = azurerm_resource_group.this.name
  scopes              = [data.azurerm_kubernetes_cluster.target.id]
  description         = "Weaviate ${var.example_cluster} QPS above target; weavefn re-evaluates autoscaling"
  severity            = 3
  frequency           = "PT1M"
  window_size         = "PT5M"

  criteria {
    metric_namespace       = "Weaviate"
    metric_name            = "qps"
    aggregation            = "Average"
    operator               = "GreaterThan"
    threshold              = var.example_qps_threshold
    skip_metric_validation = true

    dimension {
      name     = "cluster"
      operator = "Include"
      values   = [var.example_cluster]
    }
  }

  action {
    action_group_id = azurerm_monitor_action_group.weavefn.id
    # Arrives as data.customProperties: names the cluster even without a cluster dimension.
    webhook_properties = {
      "weaviate.io/cluster" = var.example_cluster
    }
  }
}

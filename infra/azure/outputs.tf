# weavefn on Azure: what the Kubernetes overlay and CI need after `terraform apply`.

output "function_app_name" {
  description = "Name of the Function App (for `func azure functionapp publish` or logs)."
  value       = azurerm_linux_function_app.weavefn.name
}

output "admission_webhook_url" {
  description = "Admission URL to patch into infra/k8s/webhook.yaml. Webhook URLs may not carry a query, so the admission function cannot take ?code=: it is anonymous and checks requests itself."
  value       = "https://${azurerm_linux_function_app.weavefn.default_hostname}/api/admission"
}

output "upgrade_url" {
  description = "URL CI posts signed upgrade requests to (with the upgrade function's key)."
  value       = "https://${azurerm_linux_function_app.weavefn.default_hostname}/api/upgrade"
}

output "restore_url" {
  description = "URL CI posts signed restore requests to (with the restore function's key)."
  value       = "https://${azurerm_linux_function_app.weavefn.default_hostname}/api/restore"
}

output "identity_principal_id" {
  description = "Object id of the functions' managed identity: add it to the Entra ID group bound in infra/k8s."
  value       = azurerm_user_assigned_identity.functions.principal_id
}

output "action_group_id" {
  description = "Action group to attach to other alert rules that should wake weavefn."
  value       = azurerm_monitor_action_group.weavefn.id
}

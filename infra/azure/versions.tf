# weavefn on Azure: provider and Terraform version constraints.
terraform {
  required_version = ">= 1.5"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 4.0, < 5"
    }
  }
}

provider "azurerm" {
  features {}
  subscription_id = var.subscription_id
}

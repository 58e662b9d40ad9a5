import * as azure from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";

/** Inputs of {@link createAzureNetwork}. */
export interface AzureNetworkArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  /** Address space of the VNet. */
  cidr: string;
  /** Bring-your-own node subnet: nothing is created. */
  existingSubnetId?: string;
  tags: Record<string, string>;
}

/** What {@link createAzureNetwork} hands back. */
export interface AzureNetwork {
  /** Subnet the nodes (and, with Azure CNI overlay, nothing else) take addresses from. */
  nodeSubnetId: pulumi.Output<string>;
  /** Public IP of the NAT gateway, the nodes' only way out; undefined for a bring-your-own subnet. */
  egressIp?: pulumi.Output<string | undefined>;
}

/**
 * The node network: a VNet whose first quarter (at most a /24 smaller) is the node subnet, with a
 * NAT gateway and its static public IP as the only egress, so nodes need no public IPs. The
 * subnet carries the Microsoft.Storage service endpoint so the model store can admit it by rule.
 * A bring-your-own subnet id is passed through unchanged.
 */
export function createAzureNetwork(name: string, parent: pulumi.Resource, args: AzureNetworkArgs): AzureNetwork {
  if (args.existingSubnetId !== undefined) return { nodeSubnetId: pulumi.output(args.existingSubnetId) };
  const opts = { parent };
  const egressIp = new azure.network.PublicIPAddress(
    `${name}-nat-ip`,
    {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      sku: { name: "Standard", tier: "Regional" },
      publicIPAllocationMethod: "Static",
      publicIPAddressVersion: "IPv4",
      tags: args.tags,
    },
    opts,
  );
  const nat = new azure.network.NatGateway(
    `${name}-nat`,
    {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      sku: { name: "Standard" },
      idleTimeoutInMinutes: 4,
      publicIpAddresses: [{ id: egressIp.id }],
      tags: args.tags,
    },
    opts,
  );
  const vnet = new azure.network.VirtualNetwork(
    `${name}-vnet`,
    { resourceGroupName: args.resourceGroupName, location: args.location, addressSpace: { addressPrefixes: [args.cidr] }, tags: args.tags },
    // Subnets are separate resources: an inline `subnets` list would fight the Subnet resource.
    { ...opts, ignoreChanges: ["subnets"] },
  );
  const subnet = new azure.network.Subnet(
    `${name}-nodes`,
    {
      resourceGroupName: args.resourceGroupName,
      virtualNetworkName: vnet.name,
      addressPrefix: nodeSubnetCidr(args.cidr),
      natGateway: { id: nat.id },
      defaultOutboundAccess: false,
      serviceEndpoints: [{ service: "Microsoft.Storage" }],
    },
    opts,
  );
  return { nodeSubnetId: subnet.id, egressIp: egressIp.ipAddress };
}

/** The node subnet of a VNet: its first quarter, but no smaller than a /24 (`10.0.0.0/16` → `10.0.0.0/18`). */
export function nodeSubnetCidr(vnetCidr: string): string {
  const [base, bits] = vnetCidr.split("/");
  const prefix = Number(bits);
  return `${base}/${Math.max(prefix, Math.min(prefix + 2, 24))}`;
}

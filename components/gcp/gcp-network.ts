import * as gcp from "./sdk.ts";
import * as pulumi from "@pulumi/pulumi";

/** What {@link createGcpNetwork} needs. */
export interface GcpNetworkArgs {
  project: pulumi.Input<string>;
  region: string;
  /** Primary range of the node subnet. */
  cidr: string;
  /** Secondary range for pod IPs (VPC-native). */
  podsCidr: string;
  /** Secondary range for Service IPs. */
  servicesCidr: string;
  /** Bring-your-own network: nothing is created and these ids are used as given. */
  existing?: { network: string; subnetwork: string; podsRangeName: string; servicesRangeName: string };
  /** Resources the network waits for (the Compute Engine API). */
  dependsOn: pulumi.Resource[];
}

/** The network a GKE cluster is placed in. */
export interface GcpNetwork {
  /** Network self link or id. */
  network: pulumi.Output<string>;
  /** Node subnetwork self link or id. */
  subnetwork: pulumi.Output<string>;
  /** Name of the subnetwork's secondary range for pods. */
  podsRangeName: string;
  /** Name of the subnetwork's secondary range for Services. */
  servicesRangeName: string;
}

/**
 * A custom-mode VPC with one private node subnet (Private Google Access on, secondary ranges for
 * pods and Services, flow logs sampled) and Cloud NAT on a Cloud Router for egress, since private
 * nodes have no external IPs. Cloud NAT is a regional service, so one gateway serves every zone.
 * With `existing`, nothing is created. (VPC networks take no labels.)
 */
export function createGcpNetwork(name: string, parent: pulumi.Resource, args: GcpNetworkArgs): GcpNetwork {
  if (args.existing) {
    return {
      network: pulumi.output(args.existing.network),
      subnetwork: pulumi.output(args.existing.subnetwork),
      podsRangeName: args.existing.podsRangeName,
      servicesRangeName: args.existing.servicesRangeName,
    };
  }
  const opts = { parent, dependsOn: args.dependsOn };
  const podsRangeName = "pods";
  const servicesRangeName = "services";
  const network = new gcp.compute.Network(
    `${name}-network`,
    { project: args.project, autoCreateSubnetworks: false, routingMode: "REGIONAL", description: "pulumi-mlops cluster network" },
    opts,
  );
  const subnetwork = new gcp.compute.Subnetwork(
    `${name}-subnet`,
    {
      project: args.project,
      region: args.region,
      network: network.id,
      ipCidrRange: args.cidr,
      privateIpGoogleAccess: true,
      secondaryIpRanges: [
        { rangeName: podsRangeName, ipCidrRange: args.podsCidr },
        { rangeName: servicesRangeName, ipCidrRange: args.servicesCidr },
      ],
      logConfig: { aggregationInterval: "INTERVAL_5_MIN", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
    },
    opts,
  );
  const router = new gcp.compute.Router(`${name}-router`, { project: args.project, region: args.region, network: network.id }, opts);
  new gcp.compute.RouterNat(
    `${name}-nat`,
    {
      project: args.project,
      region: args.region,
      router: router.name,
      natIpAllocateOption: "AUTO_ONLY",
      sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
      subnetworks: [{ name: subnetwork.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
      logConfig: { enable: true, filter: "ERRORS_ONLY" },
    },
    opts,
  );
  return { network: network.id, subnetwork: subnetwork.id, podsRangeName, servicesRangeName };
}

